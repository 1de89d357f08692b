"""No way out of the kiosk's window with the keys a passer-by would try on a
keyboard plugged into the USB port: the locked-down window, real key events
through Qt's event delivery, the window still fullscreen and on the same
screen afterwards."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from kiosk.flow import State
from kiosk.flow.view import View
from kiosk.money import Language
from tests.ui.test_screens import make_window

K, M = Qt.Key, Qt.KeyboardModifier
ESCAPES = [
    ("Alt+F4", K.Key_F4, M.AltModifier),
    ("Alt+Tab", K.Key_Tab, M.AltModifier),
    ("Ctrl+Alt+Backspace", K.Key_Backspace, M.ControlModifier | M.AltModifier),
    ("Ctrl+Alt+F1", K.Key_F1, M.ControlModifier | M.AltModifier),
    ("Ctrl+W", K.Key_W, M.ControlModifier),
    ("Ctrl+Q", K.Key_Q, M.ControlModifier),
    ("Ctrl+Esc", K.Key_Escape, M.ControlModifier),
    ("Escape", K.Key_Escape, M.NoModifier),
    ("Super", K.Key_Super_L, M.NoModifier),
    ("Meta+D", K.Key_D, M.MetaModifier),
    ("Tab", K.Key_Tab, M.NoModifier),
    ("Backspace (back)", K.Key_Backspace, M.NoModifier),
]


class Probe(QObject):
    """Sees the key presses that get past the kiosk's application-wide filter."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[int] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() is QEvent.Type.KeyPress:
            self.keys.append(event.key())  # type: ignore[attr-defined]
        return False


@pytest.mark.parametrize(("name", "key", "modifiers"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_escape_keys_do_nothing(
    qtbot: QtBot, name: str, key: Qt.Key, modifiers: Qt.KeyboardModifier
) -> None:
    window = make_window(qtbot, Language.EN, (1080, 1920))
    window.lock_down(hide_cursor=False)
    window.show_view(View(State.CHOOSE_SERVICE))
    qtbot.waitUntil(window.isVisible)
    screen = window.stack.currentWidget()
    probe = Probe()
    window.installEventFilter(probe)
    QTest.keyClick(window, K.Key_5)
    assert probe.keys == [K.Key_5]  # an ordinary key gets through: the probe works
    QTest.keyClick(window, key, modifiers)
    assert probe.keys == [K.Key_5], f"{name} reached the window"
    assert window.isVisible() and window.isFullScreen(), name
    assert window.stack.currentWidget() is screen, name
    assert not window.close()  # the window manager's close is refused too
    assert window.isVisible()
    window.may_close = True  # lets the test tear the window down


def test_the_window_is_frameless_and_on_top(qtbot: QtBot) -> None:
    window = make_window(qtbot, Language.ZH, (1920, 1080))
    window.lock_down(hide_cursor=False)
    flags = window.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint
    assert flags & Qt.WindowType.WindowStaysOnTopHint
    window.may_close = True
