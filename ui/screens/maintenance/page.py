"""What every page of the maintenance menu has: the ``Tools`` it works with
(``tools``), the ``Page`` base (its answer line, work that answers later), and the grid
helpers. Each page reads what it shows from the ``Maintenance`` service when
shown (and every two seconds while shown, if live), and each button calls one
service action; answers from other threads come back through ``Tools.main``.
Figures are shown as the journal has them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.maintenance.roles import Function
from kiosk.maintenance.service import Maintenance
from kiosk.shell.offthread import Failed
from ui.i18n import translate
from ui.screens.base import clear
from ui.screens.maintenance.tools import Tools
from ui.widgets import button, label


def fill_rows(grid: QGridLayout, rows: list[tuple[str, str]]) -> None:
    clear(grid)
    for index, (name, value) in enumerate(rows):
        key = label(name, "line")
        grid.addWidget(key, index, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(label(value, "line"), index, 1)


def new_grid() -> QGridLayout:
    grid = QGridLayout()
    grid.setHorizontalSpacing(24)
    grid.setVerticalSpacing(6)
    grid.setColumnStretch(1, 1)
    return grid


class Page(QWidget):
    function = Function.DIAGNOSTICS
    live = False  # refreshed every two seconds while shown (else when opened)

    def __init__(self, tools: Tools) -> None:
        super().__init__()
        self.tools = tools
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(14)
        self.result = label(role="notice")
        self.result.hide()

    @property
    def service(self) -> Maintenance:
        return self.tools.service

    def name(self) -> str:
        raise NotImplementedError

    def refresh(self) -> None:
        """Read the figures again (the page is opened, or, if live, two seconds passed)."""

    def say(self, text: str) -> None:
        self.result.setText(text)
        self.result.setVisible(bool(text))

    def later(self, text: str) -> Callable[[Any], None]:
        """A ``done`` callback that shows its answer on the main thread; work that
        failed is said as such, and the page can be used again."""
        self.say(text)
        return lambda answer: self.tools.main(lambda: self._answer(answer))

    def _answer(self, answer: Any) -> None:
        if isinstance(answer, Failed):
            self.say(translate("Maintenance", "That did not work: {why}").format(why=answer))
            return
        self.answered(answer)

    def answered(self, answer: Any) -> None:
        self.say(str(answer))


class Choice(QWidget):
    """A row of chips, one chosen."""

    def __init__(self, values: tuple[str, ...]) -> None:
        super().__init__()
        self.value = values[0]
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.chips = {}
        for value in values:
            chip = button(value, partial(self.set, value), "chip")
            chip.setCheckable(True)
            self.chips[value] = chip
            row.addWidget(chip)
        self.set(values[0])

    def set(self, value: str) -> None:
        if value in self.chips:
            self.value = value
        for name, chip in self.chips.items():
            chip.setChecked(name == self.value)


def place_widgets(grid: QGridLayout, rows: list[tuple[str, QWidget]]) -> None:
    for index, (name, widget) in enumerate(rows):
        old = grid.itemAtPosition(index, 0)
        if old is not None and old.widget() is not None:
            old.widget().setParent(None)  # type: ignore[union-attr]
        grid.addWidget(label(name, "line"), index, 0)
        grid.addWidget(widget, index, 1)
