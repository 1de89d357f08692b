"""Fixtures shared by the test packages."""

import os

# Screens render offscreen: the same pixels with or without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.drivers.pcsc import pcscd, pcscd_service, slot
from tests.packaging import builds

__all__ = ["pcscd", "pcscd_service", "slot"]


def pytest_collection_modifyitems(items: list[object]) -> None:
    """The Debian packages are built in the background while the rest runs."""
    if any("tests/packaging/" in str(getattr(i, "fspath", "")) for i in items):
        builds.start()
