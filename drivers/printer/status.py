"""ESC/POS real-time status (DLE EOT 1–4), sans-I/O.

Each query ``DLE EOT n`` is answered by one byte whose fixed bits are
b0 = b7 = 0 and b1 = b4 = 1; a byte that breaks the pattern, or no byte at
all, is *no answer* — never "paper OK" (python-escpos 3.1's ``paper_status``
says OK when the printer is silent, so the kiosk does not use it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 3, 4)


def query(n: int) -> bytes:
    return DLE_EOT + bytes([n])


def valid(byte: int) -> bool:
    return byte & 0b1001_0011 == 0b0001_0010


class Health(enum.Enum):
    OK = "ok"
    PAPER_LOW = "paper_low"  # prints; a warning for the maintenance menu
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    CUTTER_ERROR = "cutter_error"
    ERROR = "error"
    OFFLINE = "offline"
    NO_ANSWER = "no_answer"

    @property
    def can_print(self) -> bool:
        return self in (Health.OK, Health.PAPER_LOW)


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    answered: bool
    offline: bool = False
    cover_open: bool = False
    paper_end: bool = False
    paper_near_end: bool = False
    cutter_error: bool = False
    unrecoverable: bool = False
    recoverable: bool = False

    @property
    def health(self) -> Health:
        """The most serious condition, in the order a technician would clear them."""
        if not self.answered:
            return Health.NO_ANSWER
        for flag, health in _SEVERITY:
            if getattr(self, flag):
                return health
        return Health.OK


_SEVERITY = (
    ("cover_open", Health.COVER_OPEN),
    ("paper_end", Health.PAPER_OUT),
    ("cutter_error", Health.CUTTER_ERROR),
    ("unrecoverable", Health.ERROR),
    ("recoverable", Health.ERROR),
    ("offline", Health.OFFLINE),
    ("paper_near_end", Health.PAPER_LOW),
)


def decode(replies: dict[int, int | None]) -> PrinterStatus:
    """The four replies (None: silence) → one status."""
    if any(replies.get(n) is None or not valid(replies[n] or 0) for n in QUERIES):
        return PrinterStatus(answered=False)
    printer, cause, error, paper = (replies[n] or 0 for n in QUERIES)
    return PrinterStatus(
        answered=True,
        offline=bool(printer & 0x08),
        cover_open=bool(cause & 0x04),
        paper_end=bool(cause & 0x20) or paper & 0x60 == 0x60,
        paper_near_end=paper & 0x0C == 0x0C,
        cutter_error=bool(error & 0x08),
        unrecoverable=bool(error & 0x20),
        recoverable=bool(error & 0x44),
    )


def encode(status: PrinterStatus) -> dict[int, int]:
    """The bytes a printer in ``status`` answers (the simulator's side)."""
    fixed = 0x12
    printer = fixed | (0x08 if status.offline else 0)
    cause = fixed | (0x04 if status.cover_open else 0) | (0x20 if status.paper_end else 0)
    cause |= 0x40 if status.cutter_error or status.unrecoverable else 0
    error = fixed | (0x08 if status.cutter_error else 0) | (0x20 if status.unrecoverable else 0)
    paper = fixed | (0x0C if status.paper_near_end else 0) | (0x60 if status.paper_end else 0)
    return {1: printer, 2: cause, 3: error, 4: paper}
