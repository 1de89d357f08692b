"""The Settings page: the location, and device connections tried before they are kept."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLineEdit

from config.loader import ConfigError
from kiosk.maintenance.roles import Function
from ui.i18n import translate
from ui.keyboard import Keyboard
from ui.screens.maintenance.page import Choice, Page, new_grid, place_widgets
from ui.screens.maintenance.tools import Tools
from ui.widgets import button, label


class SettingsPage(Page):
    function = Function.SETTINGS

    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.location_title = label(role="lead")
        self.location_zh = QLineEdit()
        self.location_en = QLineEdit()
        self.keyboard = Keyboard()
        self.save_location = button("", self._location, "primary")
        self.devices_title = label(role="lead")
        self.printer = Choice(("sim", "network", "serial", "usb"))
        self.printer_address = QLineEdit()
        self.acceptor = Choice(("id003", "cctalk", "none"))
        self.acceptor_port = QLineEdit()
        self.reader = QLineEdit()
        self.apply_devices = button("", self._devices, "primary")
        for edit in (self.location_zh, self.location_en, self.printer_address,
                     self.acceptor_port, self.reader):  # fmt: skip
            edit.setProperty("role", "field")
            edit.installEventFilter(self.keyboard)
        self.form = new_grid()
        for widget in (self.location_title,):
            self.column.addWidget(widget)
        self.column.addLayout(self.form)
        self.column.addWidget(self.save_location)
        self.column.addWidget(self.devices_title)
        self.devices = new_grid()
        self.column.addLayout(self.devices)
        self.column.addWidget(self.apply_devices)
        self.column.addWidget(self.result)
        self.column.addWidget(self.keyboard)
        self.column.addStretch(1)

    def name(self) -> str:
        return translate("Maintenance", "Settings")

    def refresh(self) -> None:
        settings = self.service.settings()
        self.location_zh.setText(settings.kiosk.location)
        self.location_en.setText(settings.kiosk.location_en or "")
        self.printer.set(settings.printer.connection)
        self.printer_address.setText(
            f"{settings.printer.host}:{settings.printer.port}"
            if settings.printer.connection == "network"
            else settings.printer.device
        )
        self.acceptor.set(settings.acceptor.protocol)
        self.acceptor_port.setText(settings.acceptor.port)
        self.reader.setText(settings.card_reader.reader)
        self.retranslate()

    def retranslate(self) -> None:
        self.location_title.setText(translate("Maintenance", "Location shown to customers"))
        self.save_location.setText(translate("Maintenance", "Save the location"))
        self.devices_title.setText(translate("Maintenance", "Device connections"))
        self.apply_devices.setText(translate("Maintenance", "Test the devices and apply"))
        place_widgets(self.form, [(translate("Maintenance", "Chinese"), self.location_zh),
                           (translate("Maintenance", "English"), self.location_en)])  # fmt: skip
        place_widgets(
            self.devices,
            [
                (translate("Maintenance", "Printer"), self.printer),
                (translate("Maintenance", "Printer address"), self.printer_address),
                (translate("Maintenance", "Bill acceptor"), self.acceptor),
                (translate("Maintenance", "Acceptor port"), self.acceptor_port),
                (translate("Maintenance", "Card reader name"), self.reader),
            ],
        )

    def _location(self) -> None:
        try:
            self.service.set_location(self.location_zh.text(), self.location_en.text())
        except ConfigError as exc:
            self.say(str(exc))
            return
        self.say(translate("Maintenance", "Saved. Receipts and screens use it after the restart."))

    def _devices(self) -> None:
        printer: dict[str, Any] = {"connection": self.printer.value}
        address = self.printer_address.text().strip()
        if self.printer.value == "network":
            host, _, port = address.partition(":")
            printer["host"] = host
            if port:
                printer["port"] = int(port) if port.isdigit() else port
        elif self.printer.value == "serial" and address:
            printer["device"] = address
        change = {
            "printer": printer,
            "acceptor": {
                "protocol": self.acceptor.value,
                "port": self.acceptor_port.text().strip(),
            },
            "card_reader": {"reader": self.reader.text().strip()},
        }
        self.service.set_devices(
            change, self.later(translate("Maintenance", "Testing the devices…"))
        )

    def answered(self, answer: Any) -> None:
        self.say(
            translate("Maintenance", "Every device answered: applied, restarting.")
            if answer is None
            else translate("Maintenance", "Not applied: {why}").format(why=answer)
        )
