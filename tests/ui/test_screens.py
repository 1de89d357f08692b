"""Every screen, both orientations, both languages: touch targets of at least
15 mm, nothing pushed off the panel, every amount with its currency, and the
window's lock-down (no close, no escape keys)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel
from pytestqt.qtbot import QtBot

from config.loader import load_settings
from devtools.gallery import preview_window, sample_views
from kiosk.flow import State
from kiosk.flow.view import View
from kiosk.money import Language
from ui.widgets import MIN_TARGET_MM
from ui.window import KioskWindow

# A 21.5-inch 1920×1080 panel: 476 mm across, so about 4.03 pixels per mm.
PX_PER_MM = 1920 / 476
AMOUNT = re.compile(r"\d+\.\d\d")
CURRENCY = re.compile(r"(¥|CNY)\s?-?[\d,]+\.\d\d")
SIZES = [(1080, 1920), (1920, 1080)]


def make_window(qtbot: QtBot, lang: Language, size: tuple[int, int]) -> KioskWindow:
    window = preview_window(load_settings(), lang, size)
    qtbot.addWidget(window)
    return window


@pytest.mark.parametrize("lang", list(Language))
@pytest.mark.parametrize("size", SIZES)
def test_every_screen_fits_and_every_target_is_big_enough(
    qtbot: QtBot, lang: Language, size: tuple[int, int]
) -> None:
    window = make_window(qtbot, lang, size)
    smallest = MIN_TARGET_MM * PX_PER_MM
    problems: list[tuple[object, ...]] = []
    for name, view in sample_views():
        window.show_view(view)
        QApplication.processEvents()
        if window.size() != QSize(*size):
            problems.append((name, "window grew to", window.size().toTuple()))
        for target in window.findChildren(QAbstractButton):
            if target.isVisible() and min(target.width(), target.height()) < smallest:
                problems.append((name, target.text(), target.size().toTuple()))
        for text in (w.text() for w in window.findChildren(QLabel) if w.isVisible()):
            for number in AMOUNT.finditer(text):
                if "kWh" not in text and not CURRENCY.search(text[max(number.start() - 6, 0) :]):
                    problems.append((name, "amount without currency", text))
    assert problems == []


def test_the_window_ignores_close_and_escape_keys(qtbot: QtBot) -> None:
    window = make_window(qtbot, Language.ZH, (1080, 1920))
    window.show_view(View(State.ATTRACT))
    close = QCloseEvent()
    window.closeEvent(close)
    assert not close.isAccepted()
    for key, modifiers in [(Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier),
                           (Qt.Key.Key_Tab, Qt.KeyboardModifier.AltModifier),
                           (Qt.Key.Key_Backspace, Qt.KeyboardModifier.ControlModifier
                            | Qt.KeyboardModifier.AltModifier),
                           (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)]:  # fmt: skip
        event = QKeyEvent(QEvent.Type.KeyPress, key, modifiers)
        assert window.eventFilter(window, event), key
    digit = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_5, Qt.KeyboardModifier.NoModifier)
    assert not window.eventFilter(window, digit)
    window.may_close = True
    close = QCloseEvent()
    window.closeEvent(close)
    assert close.isAccepted()


def clipped(widget: QLabel | QAbstractButton) -> int:
    """How many pixels of the widget's one-line text do not fit (0: it fits)."""
    text = widget.text()
    if not text or (isinstance(widget, QLabel) and (widget.wordWrap() or "<" in text)):
        return 0
    metrics = widget.fontMetrics()
    needed = max(metrics.horizontalAdvance(line) for line in text.splitlines())
    room = widget.contentsRect().width()
    if isinstance(widget, QLabel):
        room -= 2 * max(widget.margin(), 0) + max(widget.indent(), 0)
    return max(needed - room, 0)


@pytest.mark.parametrize("lang", list(Language))
@pytest.mark.parametrize("size", SIZES)
def test_every_text_fits_its_widget(qtbot: QtBot, lang: Language, size: tuple[int, int]) -> None:
    """No label or button cuts its text ("180 s lef"), with the longest countdown."""
    window = make_window(qtbot, lang, size)
    problems: list[tuple[object, ...]] = []
    for name, view in sample_views():
        window.show_view(replace(view, timeout_s=180) if view.timeout_s else view)
        QApplication.processEvents()
        widgets: list[QLabel | QAbstractButton] = [
            *window.findChildren(QLabel), *window.findChildren(QAbstractButton)
        ]  # fmt: skip
        for widget in widgets:
            if widget.isVisible() and (short := clipped(widget)):
                problems.append((name, widget.text(), f"{short} px short"))
    assert problems == []


@pytest.mark.parametrize("lang", list(Language))
@pytest.mark.parametrize("accessible", [False, True])
def test_the_countdown_is_whole_at_once_when_it_grows_a_digit(
    qtbot: QtBot, lang: Language, accessible: bool
) -> None:
    """Found in a screenshot taken as the QR screen came up: "180 s lef"."""
    window = make_window(qtbot, lang, (1080, 1920))
    views = dict(sample_views())
    window.show_view(replace(views["bill_shown"], timeout_s=9, accessible=accessible))
    QApplication.processEvents()
    window.show_view(replace(views["qr_waiting"], timeout_s=180, accessible=accessible))
    window.grab()  # what a screenshot sees, before the next event-loop turn
    assert "180" in window.countdown.text()
    assert clipped(window.countdown) == 0


def test_larger_text_reaches_a_screen_that_was_hidden_when_it_was_switched(
    qtbot: QtBot,
) -> None:
    """The theme re-polishes only what is shown; a screen built before the switch
    and shown after it still gets the larger text (and loses it again after)."""
    window = make_window(qtbot, Language.ZH, (1080, 1920))
    views = dict(sample_views())
    window.show_view(views["bill_shown"])
    bill = window.screen_for(State.BILL_SHOWN)
    normal = bill.title.font().pixelSize()
    window.show_view(views["identify"])
    window.show_view(replace(views["identify"], accessible=True))  # the switch, bill hidden
    assert window.operator.font().pixelSize() > 32  # the header at once
    assert bill.title.font().pixelSize() == normal  # not restyled while hidden
    window.show_view(replace(views["bill_shown"], accessible=True))
    assert bill.title.font().pixelSize() > normal
    window.show_view(views["identify"])
    window.show_view(views["bill_shown"])
    assert bill.title.font().pixelSize() == normal


@pytest.mark.parametrize(
    ("lang", "row", "amount", "due"),
    [(Language.ZH, "预存款 ¥3.72 已抵扣", "-¥3.72", "应缴：¥252.56"),
     (Language.EN, "Credit CNY 3.72 applied", "-CNY 3.72", "Due: CNY 252.56")],
)  # fmt: skip
def test_the_bill_shows_the_credit_set_against_it(
    qtbot: QtBot, lang: Language, row: str, amount: str, due: str
) -> None:
    """Last visit's change, kept as credit: the bill says how much of it is set
    against what is due, and the due is that much less."""
    window = make_window(qtbot, lang, (1080, 1920))
    window.show_view(dict(sample_views())["bill_credit_applied"])
    shown = [w.text() for w in window.screen_for(State.BILL_SHOWN).findChildren(QLabel)]
    assert row in shown and amount in shown
    assert due in shown  # ¥256.28 of lines, less the credit
    left = "账户预存款余额" if lang is Language.ZH else "Credit left on the account"
    assert left in shown
