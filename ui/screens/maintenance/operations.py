"""The Operations page: out of service, restart, reprint, export to a removable drive."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QVBoxLayout

from kiosk.maintenance.roles import Function
from ui.i18n import translate
from ui.screens.base import clear
from ui.screens.maintenance.page import Page
from ui.screens.maintenance.tools import Tools
from ui.widgets import button, label


class OperationsPage(Page):
    function = Function.OUT_OF_SERVICE

    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.state = label(role="lead")
        self.switch = button("", self._switch, "danger")
        self.reprint = button("", self._reprint, "primary")
        self.restart = button("", self._restart, "quiet")
        self.drives_title = label(role="lead")
        self.drives = QVBoxLayout()
        for widget in (self.state, self.switch, self.reprint, self.restart, self.drives_title):
            self.column.addWidget(widget)
        self.column.addLayout(self.drives)
        self.column.addWidget(self.result)
        self.column.addStretch(1)

    def name(self) -> str:
        return translate("Maintenance", "Operations")

    def refresh(self) -> None:
        failed = self.service.journal_failed()  # out of service until restarted
        self.switch.setVisible(not failed)
        self.reprint.setVisible(self.service.may(Function.REPRINT))
        out = failed or self.service.out_of_service()
        self.state.setText(
            translate(
                "Maintenance",
                "Customers see: out of service. The journal cannot be written: free space "
                "on the disk (see Devices and System), then restart.",
            )
            if failed
            else translate("Maintenance", "Customers see: out of service.")
            if out
            else translate("Maintenance", "Customers see: in service.")
        )
        self.switch.setText(
            translate("Maintenance", "Back in service")
            if out
            else translate("Maintenance", "Take out of service")
        )
        self.reprint.setText(translate("Maintenance", "Reprint the last receipt"))
        self.restart.setText(translate("Maintenance", "Restart the kiosk app"))
        self.drives_title.setText(translate("Maintenance", "Export logs and journal to:"))
        clear(self.drives)
        drives = self.service.drives()
        for drive in drives:
            self.drives.addWidget(button(str(drive), partial(self._export, drive), "quiet"))
        if not drives:
            self.drives.addWidget(
                label(translate("Maintenance", "No removable drive found. Plug one in."), "hint")
            )

    def _switch(self) -> None:
        self.service.set_out_of_service(
            not self.service.out_of_service()
        )  # the flow's next view shows it

    def _reprint(self) -> None:
        done = self.later(translate("Maintenance", "Printing…"))
        self.service.reprint_last(self.tools.lang(), done)

    def _restart(self) -> None:
        self.say(translate("Maintenance", "Restarting…"))
        self.service.restart()

    def _export(self, drive: Path) -> None:
        self.service.export(drive, self.later(translate("Maintenance", "Exporting…")))

    def answered(self, answer: Any) -> None:
        if isinstance(answer, bool):
            self.say(
                translate("Maintenance", "Receipt printed again.")
                if answer
                else translate("Maintenance", "No receipt printed (no payment yet, or no paper).")
            )
        elif isinstance(answer, Path):
            self.say(translate("Maintenance", "Exported to {folder}.").format(folder=answer))
        else:
            self.say(translate("Maintenance", "Export failed: {why}").format(why=answer))
