"""What every screen has: a title, a notice line, and a body that lays its two
halves side by side in landscape and one above the other in portrait.

A screen renders a ``View`` (the flow's snapshot) and turns touches into flow
events through ``Context.post``; it keeps no payment state of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from PySide6.QtWidgets import QBoxLayout, QLayout, QVBoxLayout, QWidget

from config.first_look import FirstLook
from kiosk.bills import Bill
from kiosk.flow import State
from kiosk.flow.view import View
from kiosk.money import Language
from ui.i18n import notice_text
from ui.widgets import label

if TYPE_CHECKING:  # the journal's and the menu's modules load after the first paint
    from config.settings import Settings
    from kiosk.flow import events as e
    from kiosk.ledger import Payment
    from kiosk.maintenance.pins import LockState
    from kiosk.maintenance.service import PinResult
    from ui.screens.maintenance.tools import Tools

Order = Mapping[str, object]  # one of the server's QR orders, as ``GET /orders`` gives it


class Services(Protocol):
    """What the kiosk behind the screens does for them. Those that wait on the
    network or the printer answer later, on the Qt main thread; an answer of
    None means the work failed (the screen says it is unavailable)."""

    def orders(self, account: str, answer: Callable[[Sequence[Order] | None], object]) -> None:
        """The account's recent QR orders from the central server."""
        ...

    def payments(self, service: str, account: str) -> Sequence[Payment]:
        """The account's payments at this kiosk, from its journal, newest first."""
        ...

    def reprint(self, transaction: str, answer: Callable[[bool], object]) -> None: ...

    def sms(self, transaction: str, phone: str, answer: Callable[[bool | None], object]) -> None:
        """Text the receipt of ``transaction`` to ``phone``."""
        ...

    def maintenance_tools(self) -> Tools: ...

    def pin_lock(self) -> LockState:
        """The PIN pad's lockout, as the journal has it."""
        ...

    def pin(self, pin: str, answer: Callable[[PinResult | None], object]) -> None:
        """Check a PIN from the keypad (slow on purpose: scrypt)."""
        ...


class NoServices:
    """Screens with no kiosk behind them (the gallery, the screen tests): every
    helper answers that nothing is there."""

    def orders(self, account: str, answer: Callable[[Sequence[Order] | None], object]) -> None:
        answer(None)

    def payments(self, service: str, account: str) -> Sequence[Payment]:
        return []

    def reprint(self, transaction: str, answer: Callable[[bool], object]) -> None:
        answer(False)

    def sms(self, transaction: str, phone: str, answer: Callable[[bool | None], object]) -> None:
        answer(None)

    def maintenance_tools(self) -> Tools:
        raise RuntimeError("no kiosk behind these screens: the maintenance menu needs one")

    def pin_lock(self) -> LockState:
        from kiosk.maintenance.pins import LockState  # noqa: PLC0415 - the menu's, on use

        return LockState(0, None)

    def pin(self, pin: str, answer: Callable[[PinResult | None], object]) -> None:
        answer(None)


@dataclass
class Context:
    """What screens may use: post events, read settings and the language, the
    kiosk's helpers (``services``), and the window's account panel."""

    post: Callable[[e.Event], object]
    settings: Callable[[], Settings]
    lang: Callable[[], Language]
    look: Callable[[], FirstLook]  # the attract screen's and the header's: no validation needed
    services: Services = field(default_factory=NoServices)
    open_account: Callable[[Bill], object] | None = None  # the window sets its own


def flow_events() -> ModuleType:
    """The flow's events, imported at the first touch: 45 dataclasses that the
    attract screen's first paint need not wait for."""
    from kiosk.flow import events  # noqa: PLC0415

    return events


class Screen(QWidget):
    states: tuple[State, ...] = ()

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.view: View | None = None  # the last view rendered
        self.title = label(role="title")
        self.notice = label(role="notice")
        self.notice.hide()
        column = QVBoxLayout(self)
        column.setContentsMargins(48, 24, 48, 24)
        column.setSpacing(24)
        column.addWidget(self.title)
        column.addWidget(self.notice)
        self.split = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.split.setSpacing(40)
        self.first, self.second = QVBoxLayout(), QVBoxLayout()
        self.first.setSpacing(20)
        self.second.setSpacing(20)
        self.split.addLayout(self.first, 1)
        self.split.addLayout(self.second, 1)
        column.addLayout(self.split, 1)

    @property
    def lang(self) -> Language:
        return self.ctx.lang()

    def set_landscape(self, landscape: bool) -> None:
        direction = (
            QBoxLayout.Direction.LeftToRight if landscape else QBoxLayout.Direction.TopToBottom
        )
        self.split.setDirection(direction)

    def present(self, view: View) -> None:
        self.view = view
        self.show_notice(view)

    def show_notice(self, view: View) -> None:
        text = notice_text(view.notice, view.offline_limit, self.lang)
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def service_name(self, service: str | None) -> str:
        section = self.ctx.settings().services.get(service or "")
        if section is None:
            return ""
        return section.name_zh if self.lang is Language.ZH else section.name_en


def clear(layout: QLayout) -> None:
    """Remove and delete every widget in ``layout`` (lists that change per view)."""
    while (item := layout.takeAt(0)) is not None:
        widget = item.widget()
        if widget is not None:
            widget.hide()
            widget.setParent(None)  # Python owns it now: freed with its last reference
