"""The theme: one QSS file, with an accessibility variant (larger text, higher
contrast) selected by the window's ``accessible`` property.

The style sheet is set once. Switching the variant changes the property and
re-polishes only what is on the screen (the header, the footer, the current
page); every other page is re-polished when it is next shown (``Theme.page``),
so that the switch costs one screen's restyle, not sixteen.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtWidgets import QStackedWidget, QWidget

QSS = Path(__file__).with_name("theme.qss")


@cache
def stylesheet() -> str:
    return QSS.read_text(encoding="utf-8")


def repolish(root: QWidget, skip: QWidget | None = None) -> None:
    """Apply the style sheet's rules again to ``root`` and everything in it
    (but not inside ``skip``): after a property they select on has changed."""
    for widget in [root, *root.findChildren(QWidget)]:
        if skip is not None and skip.isAncestorOf(widget):
            continue
        style = widget.style()
        style.unpolish(widget)
        style.polish(widget)
    root.update()


class Theme:
    """The window's theme; ``stack`` holds its pages (the screens and panels)."""

    def __init__(self, window: QWidget, stack: QStackedWidget) -> None:
        self.window = window
        self.stack = stack
        self.accessible: bool | None = None  # None: not applied yet
        self._stale: set[int] = set()  # pages polished for the other variant (by id)
        stack.currentChanged.connect(lambda _: self.page(stack.currentWidget()))

    def use(self, accessible: bool) -> None:
        if accessible is self.accessible:
            return
        first = self.accessible is None
        self.accessible = accessible
        self.window.setProperty("accessible", "true" if accessible else "false")
        if first:
            self.window.setStyleSheet(stylesheet())
            return
        self._stale = {id(self.stack.widget(i)) for i in range(self.stack.count())}
        repolish(self.window, skip=self.stack)  # the header and the footer
        self.page(self.stack.currentWidget())

    def page(self, page: QWidget | None) -> None:
        """Before ``page`` is shown: polished for the variant in use."""
        if page is not None and id(page) in self._stale:
            self._stale.discard(id(page))
            repolish(page)
