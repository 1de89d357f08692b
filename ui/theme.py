"""The theme: one QSS file, with an accessibility variant (larger text, higher
contrast) selected by the window's ``accessible`` property."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget

QSS = Path(__file__).with_name("theme.qss")


def apply_theme(window: QWidget, accessible: bool) -> None:
    window.setProperty("accessible", "true" if accessible else "false")
    window.setStyleSheet(QSS.read_text(encoding="utf-8"))
