"""The demo on a developer's desktop: the kiosk's panel scaled to fit the
screen, keeping its portrait or landscape shape, and the simulator window
beside it, not on top of it.

Qt scales a whole process (``QT_SCALE_FACTOR``), and only before the process
makes its ``QApplication``; so the screen is measured first by a throwaway Qt
in a child process. The simulator window's font is enlarged by the inverse
of the scale, so that its buttons stay readable at any scale.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QWidget

SIMULATORS_PX = 520  # what the simulator window takes beside the kiosk, in screen pixels
MARGIN = 0.95  # of the screen's height: room for a panel or a title bar
MEASURE = (
    "from PySide6.QtGui import QGuiApplication\n"
    "app = QGuiApplication([])\n"
    "g = app.primaryScreen().availableGeometry()\n"
    "print(g.width(), g.height())\n"
)


@dataclass(frozen=True, slots=True)
class Fit:
    panel: tuple[int, int]  # the kiosk's panel, in its own pixels
    screen: tuple[int, int]  # the desktop's available area, in screen pixels
    scale: float

    @property
    def window(self) -> tuple[int, int]:
        """The kiosk window on the desktop, in screen pixels."""
        return round(self.panel[0] * self.scale), round(self.panel[1] * self.scale)


def screen_size(timeout_s: float = 20.0) -> tuple[int, int] | None:
    """The primary screen's available size, or None if Qt cannot open the display."""
    try:
        answer = subprocess.run(  # noqa: S603 - this Python, a fixed script
            [sys.executable, "-c", MEASURE], capture_output=True, text=True,
            timeout=timeout_s, check=True,
        )  # fmt: skip
        width, height = (int(x) for x in answer.stdout.split()[-2:])
    except (subprocess.SubprocessError, ValueError):
        return None
    return width, height


def fit(panel: tuple[int, int], screen: tuple[int, int]) -> Fit:
    """The largest scale, at most 1, at which the panel and the simulator window
    beside it fit on the screen."""
    room_w = max(screen[0] - SIMULATORS_PX, screen[0] // 2)
    scale = min(1.0, room_w / panel[0], screen[1] * MARGIN / panel[1])
    return Fit(panel, screen, scale)


def scale_this_process(panel: tuple[int, int]) -> Fit | None:
    """Before the QApplication: set Qt's scale so the panel fits the screen."""
    if QApplication.instance() is not None:
        return None  # too late to scale: the windows keep their size
    screen = screen_size()
    if screen is None:
        return None
    placed = fit(panel, screen)
    os.environ["QT_SCALE_FACTOR"] = f"{placed.scale:.4f}"
    os.environ.setdefault("QT_SCALE_FACTOR_ROUNDING_POLICY", "PassThrough")
    return placed


def place(kiosk: QWidget, simulators: QWidget, placed: Fit | None) -> str:
    """The kiosk at the top left, the simulator window to its right; says where."""
    if placed is not None:
        font = simulators.font()
        font.setPointSizeF(font.pointSizeF() / placed.scale)
        simulators.setFont(font)
    kiosk.move(0, 0)
    simulators.adjustSize()
    simulators.move(kiosk.frameGeometry().right() + 1, 0)
    scale = placed.scale if placed is not None else 1.0
    return (
        f"kiosk window {_px(kiosk.frameGeometry(), scale)}, simulators "
        f"{_px(simulators.frameGeometry(), scale)}, scale {scale:.3f}"
        + (f", screen {placed.screen[0]}x{placed.screen[1]}" if placed else "")
    )


def _px(rect: QRect, scale: float) -> str:
    """A window's place on the screen, in screen pixels."""
    x, y = round(rect.x() * scale), round(rect.y() * scale)
    w, h = round(rect.width() * scale), round(rect.height() * scale)
    return f"{w}x{h}+{x}+{y}"
