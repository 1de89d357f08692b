"""The Cash page: the cashbox from the journal, the collector's count, the collection."""

from __future__ import annotations

from typing import Any

from kiosk.maintenance.roles import Function
from kiosk.maintenance.service import Collection
from kiosk.money import Money
from ui.i18n import money, translate
from ui.screens.maintenance.page import Page, fill_rows, new_grid
from ui.screens.maintenance.tools import Tools
from ui.widgets import Keypad, button, label


class CashPage(Page):
    function = Function.CASH

    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.since = label(role="lead")
        self.grid = new_grid()
        self.total = label(role="amount")
        self.hint = label(role="hint")
        self.keypad = Keypad(self._counted)
        self.collect = button("", self._collect, "primary")
        self.counted: Money | None = None
        for widget in (self.since,):
            self.column.addWidget(widget)
        self.column.addLayout(self.grid)
        self.column.addWidget(self.total)
        self.column.addWidget(self.hint)
        self.column.addWidget(self.keypad)
        self.column.addWidget(self.collect)
        self.column.addWidget(self.result)
        self.column.addStretch(1)
        self.keypad.reset(7)

    def name(self) -> str:
        return translate("Maintenance", "Cash")

    def refresh(self) -> None:
        box = self.service.cashbox()
        lang = self.tools.lang()
        self.since.setText(
            translate("Maintenance", "In the cashbox since the last collection ({at}):").format(
                at=box.since_at[:16].replace("T", " ") if box.since_at else "-"
            )
        )
        fill_rows(
            self.grid,
            [
                (
                    money(value, lang),
                    translate("Maintenance", "× {n} = {sum}").format(
                        n=count, sum=money(Money(value.minor * count, value.currency), lang)
                    ),
                )
                for value, count in box.notes
            ],
        )
        self.total.setText(
            translate("Maintenance", "{n} notes, {total}").format(
                n=box.count, total=money(box.total, lang)
            )
        )
        self.hint.setText(
            translate("Maintenance", "Counted by hand (yuan, optional): {counted}").format(
                counted=money(self.counted, lang) if self.counted else "-"
            )
        )
        self.keypad.retranslate()
        self.collect.setText(
            translate("Maintenance", "Collect: print the report, start a new period")
        )

    def _counted(self, text: str) -> None:
        self.counted = Money(int(text) * 100, self.service.currency())
        self.keypad.reset(7)
        self.refresh()

    def _collect(self) -> None:
        counted, self.counted = self.counted, None
        self.service.collect(
            counted, self.tools.lang(), self.later(translate("Maintenance", "Printing the report…"))
        )

    def answered(self, answer: Any) -> None:
        if isinstance(answer, Collection):
            lang = self.tools.lang()
            text = translate("Maintenance", "Collected {total}; report {printed}.").format(
                total=money(answer.box.total, lang),
                printed=translate("Maintenance", "printed")
                if answer.printed
                else translate("Maintenance", "NOT printed"),
            )
            if answer.counted is not None and answer.counted != answer.box.total:
                text += " " + translate("Maintenance", "Difference {d} journaled.").format(
                    d=money(answer.counted - answer.box.total, lang)
                )
            self.say(text)
            self.refresh()
