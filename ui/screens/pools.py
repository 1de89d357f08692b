"""Widgets a screen shows in varying number (one tile per service or method,
one row per bill line), made once and reused from view to view.

Making a widget and styling it is most of what a screen change costs, and a
widget made and dropped at every customer leaves the native heap a little
larger each time; so a pool keeps what it made, re-texts it, shows what the
view lists and hides the rest. A button's touch calls the action of the view
it was last shown for.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from ui.widgets import button, label

Place = Callable[[int], tuple[int, int]]  # the n-th item's (row, column) in the grid


def two_columns(index: int) -> tuple[int, int]:
    return index // 2, index % 2


def one_row(index: int) -> tuple[int, int]:
    return 0, index


def _restyle(widget: QWidget, role: str) -> None:
    """A new ``role`` for a widget already styled: the theme's rules again."""
    if widget.property("role") != role:
        widget.setProperty("role", role)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


class Buttons:
    """Buttons in ``grid``, one per key, in the order ``show`` gives them."""

    def __init__(self, grid: QGridLayout, role: str, place: Place = two_columns) -> None:
        self.grid = grid
        self.role = role
        self.place = place
        self.made: dict[Hashable, QPushButton] = {}
        self._actions: dict[Hashable, Callable[[], object]] = {}
        self._shown: list[Hashable] = []

    def show(self, items: Sequence[tuple[Hashable, str, Callable[[], object]]]) -> None:
        keys = [key for key, _, _ in items]
        if keys != self._shown:
            for widget in self.made.values():
                self.grid.removeWidget(widget)
                widget.hide()
        for index, (key, text, action) in enumerate(items):
            self._actions[key] = action
            if key not in self.made:
                self.made[key] = button(text, partial(self._touched, key), self.role)
            widget = self.made[key]
            widget.setText(text)
            if keys != self._shown:
                self.grid.addWidget(widget, *self.place(index))
                widget.show()
        self._shown = keys

    def _touched(self, key: Hashable) -> None:
        self._actions[key]()


class Rows:
    """Label pairs (text, amount) in the first two columns of ``grid``."""

    def __init__(self, grid: QGridLayout) -> None:
        self.grid = grid
        self.made: list[tuple[QLabel, QLabel]] = []

    def show(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """``rows``: (text, amount, role); an empty role is a plain line."""
        while len(self.made) < len(rows):
            left, right = label("", "line"), label("", "amount", wrap=False)
            right.setProperty("align", "right")
            right.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.grid.addWidget(left, len(self.made), 0)
            self.grid.addWidget(right, len(self.made), 1)
            self.made.append((left, right))
        for index, (left, right) in enumerate(self.made):
            shown = index < len(rows)
            if shown:
                text, amount, role = rows[index]
                _restyle(left, role or "line")
                _restyle(right, role or "amount")
                left.setText(text)
                right.setText(amount)
            left.setVisible(shown)
            right.setVisible(shown)
