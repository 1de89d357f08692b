"""An on-screen keyboard for the maintenance menu (the kiosk has no keyboard):
Latin letters, digits and the punctuation that addresses, device paths and
enrollment codes need. It types into the line edit that last had focus; a
USB keyboard, when a technician plugs one in, types too (and its input method
is how Chinese is typed)."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QGridLayout, QLineEdit, QWidget

from ui.i18n import translate
from ui.widgets import button

ROWS = ("1234567890", "qwertyuiop", "asdfghjkl-", "zxcvbnm_./", ":#,()")


class Keyboard(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.target: QLineEdit | None = None
        self._upper = False
        self._keys: list[tuple[str, object]] = []
        grid = QGridLayout(self)
        grid.setSpacing(6)
        grid.setContentsMargins(0, 0, 0, 0)
        for r, row in enumerate(ROWS):
            for col, char in enumerate(row):
                key = button(char, partial(self.type, char), "key")
                self._keys.append((char, key))
                grid.addWidget(key, r, col)
        last = len(ROWS[-1])
        self.shift = button("⇧", self._shift, "key")
        self.space = button("", partial(self.type, " "), "key")
        self.delete = button("", self.backspace, "key")
        grid.addWidget(self.shift, len(ROWS) - 1, last)
        grid.addWidget(self.space, len(ROWS) - 1, last + 1, 1, 2)
        grid.addWidget(self.delete, len(ROWS) - 1, last + 3, 1, 2)
        self.retranslate()

    def retranslate(self) -> None:
        self.space.setText(translate("Keyboard", "Space"))
        self.delete.setText(translate("Keyboard", "Delete"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.FocusIn, QEvent.Type.MouseButtonPress) and isinstance(
            watched, QLineEdit
        ):
            self.target = watched
        return False

    def type(self, char: str) -> None:
        if self.target is not None:
            self.target.insert(char.upper() if self._upper else char)

    def backspace(self) -> None:
        if self.target is not None:
            self.target.backspace()

    def _shift(self) -> None:
        self._upper = not self._upper
        for char, key in self._keys:
            key.setText(char.upper() if self._upper else char)  # type: ignore[attr-defined]
