"""What every screen has: a title, a notice line, and a body that lays its two
halves side by side in landscape and one above the other in portrait.

A screen renders a ``View`` (the flow's snapshot) and turns touches into flow
events through ``Context.post``; it keeps no payment state of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtWidgets import QBoxLayout, QLayout, QVBoxLayout, QWidget

from config.settings import Settings
from kiosk.flow import State
from kiosk.flow import events as e
from kiosk.flow.view import View
from kiosk.money import Language
from ui.i18n import notice_text
from ui.widgets import label


@dataclass
class Context:
    """What screens may use: post events, read settings and the language, and the
    account helpers (orders, reprint, receipt SMS) that run off the main thread."""

    post: Callable[[e.Event], object]
    settings: Callable[[], Settings]
    lang: Callable[[], Language]
    extras: dict[str, Callable[..., object]] = field(default_factory=dict)


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
