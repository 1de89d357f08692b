"""The software's version: the project's (pyproject.toml), the one place it is
written, as the installed distribution says it."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "payment-kiosk"


def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a tree that was never installed
        return "0+unknown"
