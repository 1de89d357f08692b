"""Dated backup files in a folder: written whole, kept a set number of days.
Shared by the kiosk's journal backup and the central server's dump (the one
layer both may import)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def sync(path: Path) -> None:
    """fsync a file or a folder."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def put_in_place(part: Path, final: Path) -> None:
    """A written, checked file renamed into place, durably."""
    sync(part)
    os.replace(part, final)
    sync(final.parent)


def keep_daily(newest_first: Iterable[Path], prefix: str, days: int) -> list[Path]:
    """Of files named ``<prefix>YYYYMMDD-…``, newest first, keep the newest of
    each of the newest ``days`` days; remove the rest and say which."""
    kept: set[str] = set()
    removed = []
    for path in newest_first:
        day = path.name[len(prefix) : len(prefix) + 8]
        if day not in kept and len(kept) < days:
            kept.add(day)
            continue
        path.unlink()
        removed.append(path)
    if removed:
        sync(removed[0].parent)
    return removed
