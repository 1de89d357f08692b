"""Figures a long-running part keeps for the bench and diagnostics, bounded.

A kiosk runs for months: a list that grows with every poll is a leak (at a
150 ms poll, ~576,000 samples a day). ``Samples`` keeps a count of every
figure ever added and only the latest ``size`` of them.
"""

from __future__ import annotations

import threading
from collections import deque

DEFAULT_SIZE = 4096


class Samples:
    """The latest ``size`` figures (oldest dropped first) and how many were added."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size <= 0:
            raise ValueError("a window holds at least one figure")
        self._window: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()
        self.seen = 0  # every figure ever added, including the dropped ones

    def add(self, value: float) -> None:
        with self._lock:
            self._window.append(value)
            self.seen += 1

    def clear(self) -> None:
        """Forget the window (the count of figures seen is kept)."""
        with self._lock:
            self._window.clear()

    def latest(self) -> list[float]:
        """The window, oldest first."""
        with self._lock:
            return list(self._window)

    def __len__(self) -> int:
        return len(self._window)

    @property
    def size(self) -> int:
        maxlen = self._window.maxlen
        assert maxlen is not None
        return maxlen
