"""The Devices page: each device's state, last error and counters, and its self-tests."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QVBoxLayout

from kiosk.maintenance.roles import Function
from kiosk.maintenance.service import Printed
from ui.i18n import translate
from ui.screens.maintenance.page import Page, fill_rows, new_grid
from ui.screens.maintenance.tools import Tools
from ui.widgets import button


class DevicesPage(Page):
    live = True

    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.grid = new_grid()
        self.column.addLayout(self.grid)
        tests = QVBoxLayout()
        self.print_test = button("", self._print, "primary")
        self.acceptor_test = button("", self._acceptor, "primary")
        self.card_test = button("", self._card, "primary")
        for widget in (self.print_test, self.acceptor_test, self.card_test):
            tests.addWidget(widget)
        self.column.addLayout(tests)
        self.column.addWidget(self.result)
        self.column.addStretch(1)

    def name(self) -> str:
        return translate("Maintenance", "Devices")

    def refresh(self) -> None:
        snapshot = self.service.devices()
        acceptor_on = self.service.acceptor_testing()
        rows: list[tuple[str, str]] = []
        for device, title in (
            ("acceptor", translate("Maintenance", "Bill acceptor")),
            ("printer", translate("Maintenance", "Printer")),
            ("card_reader", translate("Maintenance", "Card reader")),
            ("journal", translate("Maintenance", "Journal (disk)")),
        ):
            report = snapshot.get(device)
            if report is None and device == "journal":
                continue  # it reports only when it cannot be written
            if report is None:
                rows.append((title, translate("Maintenance", "no reports yet")))
                continue
            counters = ", ".join(f"{k} {v}" for k, v in sorted(report.counters.items()))
            error = (
                f"{report.last_error} ({report.last_error_at})"
                if report.last_error
                else translate("Maintenance", "none")
            )
            rows.append(
                (title, translate("Maintenance", "State: {state}").format(state=report.state))
            )
            rows.append(("", translate("Maintenance", "Last error: {error}").format(error=error)))
            rows.append(("", translate("Maintenance", "Counters: {c}").format(c=counters or "-")))
            if report.last_event:
                rows.append(("", translate("Maintenance", "Last: {e}").format(e=report.last_event)))
        fill_rows(self.grid, rows)
        can_test = self.service.may(Function.SELF_TESTS)
        for widget in (self.print_test, self.acceptor_test, self.card_test):
            widget.setVisible(can_test)
        self.print_test.setText(translate("Maintenance", "Test print"))
        self.acceptor_test.setText(
            translate("Maintenance", "Stop the note test")
            if acceptor_on
            else translate("Maintenance", "Note test: insert, read, return")
        )
        self.card_test.setText(translate("Maintenance", "Card read test"))

    def _print(self) -> None:
        done = self.later(translate("Maintenance", "Printing a test page…"))
        self.service.test_print(self.tools.lang(), done)

    def answered(self, answer: Any) -> None:
        if isinstance(answer, Printed):
            self.say(
                translate("Maintenance", "Test page printed.")
                if answer.ok
                else translate("Maintenance", "Test page NOT printed: {why}").format(
                    why=answer.error or "-"
                )
            )
        else:
            self.say(str(answer))

    def _acceptor(self) -> None:
        on = not self.service.acceptor_testing()
        self.service.acceptor_test(on)
        self.say(
            translate("Maintenance", "Insert a note: it is read and given back, never kept.")
            if on
            else ""
        )

    def _card(self) -> None:
        self.service.card_read_test(self.later(translate("Maintenance", "Reading the card…")))
