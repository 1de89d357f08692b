"""The maintenance menu's pages. Each reads what it shows from the
``Maintenance`` service when shown (and every two seconds while shown), and
each button calls one service action; answers from other threads come back
through ``Tools.main``. Figures are shown as the journal has them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from config.loader import ConfigError
from kiosk.maintenance.diagnostics import NetworkCheck
from kiosk.maintenance.pins import BadPin
from kiosk.maintenance.roles import Function, Role
from kiosk.maintenance.service import Collection, Maintenance, Printed
from kiosk.money import Language, Money
from kiosk.shell.offthread import Failed
from ui.i18n import money, translate
from ui.keyboard import Keyboard
from ui.screens.base import clear
from ui.widgets import Keypad, button, label


@dataclass
class Tools:
    maintenance: Callable[[], Maintenance]  # the running app's (a restart makes a new one)
    main: Callable[[Callable[[], None]], None]  # run on the Qt main thread
    lang: Callable[[], Language]

    @property
    def service(self) -> Maintenance:
        return self.maintenance()


def _rows(grid: QGridLayout, rows: list[tuple[str, str]]) -> None:
    clear(grid)
    for index, (name, value) in enumerate(rows):
        key = label(name, "line")
        grid.addWidget(key, index, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(label(value, "line"), index, 1)


def _grid() -> QGridLayout:
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


class DevicesPage(Page):
    live = True

    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.grid = _grid()
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
        _rows(self.grid, rows)
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


class QueuePage(Page):
    live = True

    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.grid = _grid()
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
        _rows(
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


class SystemPage(Page):
    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.grid = _grid()
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
        _rows(self.grid, rows)
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


class CashPage(Page):
    function = Function.CASH

    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.since = label(role="lead")
        self.grid = _grid()
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
        _rows(
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
        self.printer = _Choice(("sim", "network", "serial", "usb"))
        self.printer_address = QLineEdit()
        self.acceptor = _Choice(("id003", "cctalk", "none"))
        self.acceptor_port = QLineEdit()
        self.reader = QLineEdit()
        self.apply_devices = button("", self._devices, "primary")
        for edit in (self.location_zh, self.location_en, self.printer_address,
                     self.acceptor_port, self.reader):  # fmt: skip
            edit.setProperty("role", "field")
            edit.installEventFilter(self.keyboard)
        self.form = _grid()
        for widget in (self.location_title,):
            self.column.addWidget(widget)
        self.column.addLayout(self.form)
        self.column.addWidget(self.save_location)
        self.column.addWidget(self.devices_title)
        self.devices = _grid()
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
        _place(self.form, [(translate("Maintenance", "Chinese"), self.location_zh),
                           (translate("Maintenance", "English"), self.location_en)])  # fmt: skip
        _place(
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


class PinsPage(Page):
    function = Function.PINS

    def __init__(self, tools: Tools) -> None:
        super().__init__(tools)
        self.lead = label(role="lead")
        self.role = _Choice(tuple(r.value for r in Role))
        self.keypad = Keypad(self._pin)
        self.keypad.display.setEchoMode(QLineEdit.EchoMode.Password)
        self.keypad.reset(12)
        self._first: str | None = None
        for widget in (self.lead, self.role, self.keypad, self.result):
            self.column.addWidget(widget)
        self.column.addStretch(1)

    def name(self) -> str:
        return translate("Maintenance", "PINs")

    def refresh(self) -> None:
        self.lead.setText(
            translate("Maintenance", "New PIN for the chosen role (6 to 12 digits), twice.")
            if self._first is None
            else translate("Maintenance", "Type the new PIN again.")
        )
        self.keypad.retranslate()

    def _pin(self, pin: str) -> None:
        self.keypad.reset(12)
        if self._first is None:
            self._first = pin
            self.say("")
        elif pin != self._first:
            self._first = None
            self.say(translate("Maintenance", "The two PINs differ. Start again."))
        else:
            self._first = None
            try:
                self.service.set_pin(Role(self.role.value), pin)
            except BadPin as exc:
                self.say(translate("Maintenance", "Not changed: {why}").format(why=exc))
            else:
                self.say(translate("Maintenance", "PIN changed."))
        self.refresh()


class _Choice(QWidget):
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


def _place(grid: QGridLayout, rows: list[tuple[str, QWidget]]) -> None:
    for index, (name, widget) in enumerate(rows):
        old = grid.itemAtPosition(index, 0)
        if old is not None and old.widget() is not None:
            old.widget().setParent(None)  # type: ignore[union-attr]
        grid.addWidget(label(name, "line"), index, 0)
        grid.addWidget(widget, index, 1)


PAGES: tuple[type[Page], ...] = (
    DevicesPage,
    QueuePage,
    SystemPage,
    OperationsPage,
    CashPage,
    SettingsPage,
    EnrollPage,
    PinsPage,
)
