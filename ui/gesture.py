"""The hidden way into the maintenance menu: hold the top-left corner of the
attract (or out-of-service) screen for ``HOLD_S`` seconds, then tap the
top-right corner ``TAPS`` times within ``TAPS_WITHIN_S`` seconds.

Pure logic, fed with press/release positions and times, so the gesture is
tested without waiting. A customer leaning on a corner does nothing: the hold
alone opens nothing, and any touch elsewhere starts over.
"""

from __future__ import annotations

import enum

HOLD_S = 2.0
TAPS = 3
TAPS_WITHIN_S = 4.0
CORNER_PX = 160


class Corner(enum.Enum):
    TOP_LEFT = "top_left"
    TOP_RIGHT = "top_right"
    ELSEWHERE = "elsewhere"


def corner(x: int, y: int, width: int) -> Corner:
    if y < CORNER_PX and x < CORNER_PX:
        return Corner.TOP_LEFT
    if y < CORNER_PX and x >= width - CORNER_PX:
        return Corner.TOP_RIGHT
    return Corner.ELSEWHERE


class SecretGesture:
    def __init__(self) -> None:
        self._held_at: float | None = None  # top-left pressed at
        self._armed_at: float | None = None  # the hold was long enough
        self._taps = 0

    def reset(self) -> None:
        self._held_at = self._armed_at = None
        self._taps = 0

    def press(self, where: Corner, now: float) -> None:
        if self._armed_at is not None and where is Corner.TOP_RIGHT:
            return  # counted on release
        self.reset()
        if where is Corner.TOP_LEFT:
            self._held_at = now

    def release(self, where: Corner, now: float) -> bool:
        """True when this release completes the gesture."""
        if self._held_at is not None:
            held = now - self._held_at
            self._held_at = None
            if where is Corner.TOP_LEFT and held >= HOLD_S:
                self._armed_at, self._taps = now, 0
            return False
        if self._armed_at is None or where is not Corner.TOP_RIGHT:
            self.reset()
            return False
        if now - self._armed_at > TAPS_WITHIN_S:
            self.reset()
            return False
        self._taps += 1
        if self._taps >= TAPS:
            self.reset()
            return True
        return False
