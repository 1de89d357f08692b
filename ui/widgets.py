"""The few widgets every screen is made of: big buttons, the numeric keypad,
the busy indicator and the QR code.

Touch targets are at least ``MIN_TARGET_MM`` on the panel (the window sets
``px_per_mm`` from the screen); the theme sizes them, and a test measures
every button of every screen.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui.i18n import translate

MIN_TARGET_MM = 15


def button(text: str, on_click: Callable[[], object], role: str = "") -> QPushButton:
    """A touch button; ``role`` ("primary", "quiet", "danger") picks its look in the theme."""
    widget = QPushButton(text)
    widget.setProperty("role", role or "normal")
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    widget.clicked.connect(lambda: on_click())  # noqa: PLW0108 - drop the checked flag
    return widget


def label(text: str = "", role: str = "", wrap: bool = True) -> QLabel:
    widget = QLabel(text)
    # Never rich text: a holder's name or a bill line from the server that looks
    # like HTML ("<b>", "<img src=…>") is shown as the characters it is.
    widget.setTextFormat(Qt.TextFormat.PlainText)
    widget.setProperty("role", role or "body")
    widget.setWordWrap(wrap)
    return widget


class Keypad(QWidget):
    """Digits only, at most ``limit`` of them; OK hands the text to ``on_enter``."""

    def __init__(self, on_enter: Callable[[str], object]) -> None:
        super().__init__()
        self._on_enter = on_enter
        self.limit = 20
        self.display = QLineEdit()
        self.display.setReadOnly(True)
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display.setProperty("role", "display")
        self.display.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        grid = QGridLayout()
        grid.setSpacing(12)
        for index, digit in enumerate("123456789"):
            grid.addWidget(button(digit, partial(self.press, digit), "key"), index // 3, index % 3)
        self.delete = button("", self.backspace, "key")
        self.ok = button("", self.enter, "primary")
        grid.addWidget(self.delete, 3, 0)
        grid.addWidget(button("0", lambda: self.press("0"), "key"), 3, 1)
        grid.addWidget(self.ok, 3, 2)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.display)
        column.addLayout(grid)
        self.retranslate()

    def retranslate(self) -> None:
        self.delete.setText(translate("Keypad", "Delete"))
        self.ok.setText(translate("Keypad", "OK"))

    def reset(self, limit: int) -> None:
        self.limit = limit
        self.display.clear()
        self.ok.setEnabled(False)

    def press(self, digit: str) -> None:
        text = self.display.text()
        if len(text) < self.limit:
            self.display.setText(text + digit)
        self.ok.setEnabled(True)

    def backspace(self) -> None:
        self.display.setText(self.display.text()[:-1])
        self.ok.setEnabled(bool(self.display.text()))

    def enter(self) -> None:
        if self.display.text():
            self._on_enter(self.display.text())


class Spinner(QWidget):
    """The busy indicator: an arc going round while the kiosk waits."""

    def __init__(self, size: int = 140) -> None:
        super().__init__()
        self.setFixedSize(QSize(size, size))
        self._angle = 0
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._turn)

    def showEvent(self, event: object) -> None:
        self._timer.start()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()

    def _turn(self) -> None:
        self._angle = (self._angle + 30) % 360
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self.palette().highlight().color(), self.width() / 10)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        margin = self.width() / 8
        rect = QRectF(margin, margin, self.width() - 2 * margin, self.height() - 2 * margin)
        painter.drawArc(rect, -self._angle * 16, 270 * 16)


@functools.lru_cache(maxsize=8)
def qr_pixmap(text: str, size: int) -> QPixmap:
    """``text`` as a QR code of about ``size`` pixels, drawn module by module (the
    last few are kept: a screen shown again, or in the other language, reuses it)."""
    import qrcode  # noqa: PLC0415 - 20 ms at start-up; only a few screens draw codes

    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    scale = max(size // len(matrix), 1)
    image = QImage(len(matrix) * scale, len(matrix) * scale, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    black = QColor("black")
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                painter.fillRect(x * scale, y * scale, scale, scale, black)
    painter.end()
    return QPixmap.fromImage(image)
