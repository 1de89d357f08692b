"""The Enrollment page: a one-time code traded for this kiosk's credential."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLineEdit

from kiosk.maintenance.roles import Function
from ui.i18n import translate
from ui.keyboard import Keyboard
from ui.screens.maintenance.page import Page
from ui.screens.maintenance.tools import Tools
from ui.widgets import button, label


class EnrollPage(Page):
    function = Function.ENROLLMENT

    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.lead = label(role="lead")
        self.code = QLineEdit()
        self.code.setProperty("role", "field")
        self.keyboard = Keyboard()
        self.code.installEventFilter(self.keyboard)
        self.enroll = button("", self._enroll, "primary")
        for widget in (self.lead, self.code, self.enroll, self.result, self.keyboard):
            self.column.addWidget(widget)
        self.column.addStretch(1)

    def name(self) -> str:
        return translate("Maintenance", "Enrollment")

    def refresh(self) -> None:
        system = self.service.system()
        self.lead.setText(
            translate(
                "Maintenance", "Enrolled as {id} with {url}. A new code enrolls this kiosk again."
            ).format(id=system.enrolled_as, url=system.central_url)
            if system.enrolled_as
            else translate("Maintenance", "Not enrolled. Type the one-time code from the operator.")
        )
        self.enroll.setText(translate("Maintenance", "Enroll"))

    def _enroll(self) -> None:
        self.service.enroll(
            self.code.text().strip(), self.later(translate("Maintenance", "Enrolling…"))
        )

    def answered(self, answer: Any) -> None:
        self.say(
            translate("Maintenance", "Enrolled: restarting to connect.")
            if answer is None
            else str(answer)
        )
