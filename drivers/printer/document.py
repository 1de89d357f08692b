"""A receipt as a printer sees it: blocks of text, rows, rules and a QR code.

Drivers know nothing of payments: the kiosk builds a ``Document`` and the
printer lays it out for its paper width.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass


class Align(enum.Enum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    bold: bool = False
    large: bool = False  # double width and height
    align: Align = Align.LEFT


@dataclass(frozen=True, slots=True)
class Row:
    """A label on the left, a value on the right (wrapped when both do not fit)."""

    left: str
    right: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    char: str = "-"


@dataclass(frozen=True, slots=True)
class QrCode:
    data: str
    module: int = 6


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int = 1


Block = Text | Row | Rule | QrCode | Feed


@dataclass(frozen=True, slots=True)
class Document:
    blocks: tuple[Block, ...]


def cells(text: str) -> int:
    """Columns ``text`` takes: Chinese and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit(text: str, columns: int) -> list[str]:
    """Cut ``text`` into lines of at most ``columns`` cells: at a space when the line
    has one (English words stay whole), else at the last character that fits
    (Chinese has no spaces, and any character may end a line)."""
    lines, current = [], ""
    for ch in text:
        if cells(current + ch) > columns:
            cut = current.rfind(" ")
            if ch != " " and cut > 0:
                lines.append(current[:cut])
                current = current[cut + 1 :]
            else:
                lines.append(current.rstrip())
                current = ""
            if ch == " ":
                continue
        current += ch
    return [*lines, current]


def row(left: str, right: str, columns: int) -> list[str]:
    """``left`` and ``right`` on one line, or ``right`` on its own line under it."""
    gap = columns - cells(left) - cells(right)
    if gap >= 1:
        return [left + " " * gap + right]
    return [*fit(left, columns), " " * max(0, columns - cells(right)) + right]
