"""The System page: versions, config bundle, enrollment, disk, memory, the network check."""

from __future__ import annotations

from typing import Any

from kiosk.maintenance.diagnostics import NetworkCheck
from ui.i18n import translate
from ui.screens.maintenance.page import Page, fill_rows, new_grid
from ui.screens.maintenance.tools import Tools
from ui.widgets import button


class SystemPage(Page):
    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.grid = new_grid()
        self.network = button("", self._network, "primary")
        self.column.addLayout(self.grid)
        self.column.addWidget(self.network)
        self.column.addWidget(self.result)
        self.column.addStretch(1)

    def name(self) -> str:
        return translate("Maintenance", "System")

    def refresh(self) -> None:
        s = self.service.system()
        rows = [
            (translate("Maintenance", "Kiosk"), s.kiosk_id),
            (
                translate("Maintenance", "Enrolled"),
                s.enrolled_as or translate("Maintenance", "not enrolled"),
            ),
            (translate("Maintenance", "Central server"), s.central_url),
            (translate("Maintenance", "Software"), s.app_version),
            (
                translate("Maintenance", "Config bundle"),
                translate("Maintenance", "version {v}, signer key {k}").format(
                    v=s.settings_version, k=s.bundle_signer
                ),
            ),
            (
                translate("Maintenance", "Disk"),
                translate("Maintenance", "{free} MB free of {total} MB").format(
                    free=s.disk_free_mb, total=s.disk_total_mb
                ),
            ),
            (
                translate("Maintenance", "Memory"),
                translate("Maintenance", "kiosk {rss} MB, {free} MB available").format(
                    rss=s.memory_rss_mb, free=s.memory_available_mb or "?"
                ),
            ),
        ]
        if s.demo_pins:
            rows.append(
                (
                    translate("Maintenance", "Warning"),
                    translate("Maintenance", "the demo PINs are in use: change them"),
                )
            )
        fill_rows(self.grid, rows)
        self.network.setText(translate("Maintenance", "Check the network"))

    def _network(self) -> None:
        self.service.check_network(self.later(translate("Maintenance", "Asking the server…")))

    def answered(self, answer: Any) -> None:
        if isinstance(answer, NetworkCheck):
            if answer.reachable:
                self.say(
                    translate("Maintenance", "Reachable: answered in {ms} ms.").format(
                        ms=answer.latency_ms
                    )
                )
            else:
                self.say(translate("Maintenance", "NOT reachable: {why}").format(why=answer.detail))
