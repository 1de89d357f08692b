"""The Upload queue page: depth, oldest unsent, last upload, dead letters and their retry."""

from __future__ import annotations

from kiosk.maintenance.roles import Function
from ui.i18n import translate
from ui.screens.maintenance.page import Page, fill_rows, new_grid
from ui.screens.maintenance.tools import Tools
from ui.widgets import button, label


class QueuePage(Page):
    live = True

    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.grid = new_grid()
        self.letters = label(role="line")
        self.retry = button("", self._retry, "primary")
        self.column.addLayout(self.grid)
        self.column.addWidget(self.letters)
        self.column.addWidget(self.retry)
        self.column.addWidget(self.result)
        self.column.addStretch(1)

    def name(self) -> str:
        return translate("Maintenance", "Upload queue")

    def refresh(self) -> None:
        sync = self.service.sync()
        none = translate("Maintenance", "none")
        fill_rows(
            self.grid,
            [
                (translate("Maintenance", "Waiting to upload"), str(sync.pending)),
                (translate("Maintenance", "Oldest unsent"), sync.oldest_unsent or none),
                (translate("Maintenance", "Last upload"), sync.last_sent or none),
                (translate("Maintenance", "Uploaded"), str(sync.sent)),
                (translate("Maintenance", "Dead letters"), str(sync.dead)),
            ],
        )
        lines = [
            f"{d.created_at[:19]}  {d.kind}  {d.id[:8]}  — {d.reason}"
            for d in sync.dead_letters[:8]
        ]
        self.letters.setText("\n".join(lines))
        self.letters.setVisible(bool(lines))
        self.retry.setText(translate("Maintenance", "Retry the dead letters"))
        self.retry.setVisible(self.service.may(Function.SYNC) and sync.dead > 0)

    def _retry(self) -> None:
        count = self.service.retry_dead_letters()
        self.say(translate("Maintenance", "{n} transaction(s) back in the queue.").format(n=count))
        self.refresh()
