"""The maintenance menu's actions, free of Qt: the UI calls these, nothing else.

* Getting in: a PIN (checked against each role's scrypt hash; locked after
  ``max_pin_failures`` wrong ones, from the journal) or a technician card (a
  challenge answered with the staff-card key). The flow then enters
  MAINTENANCE with the role; leaving, or leaving it alone until the timeout,
  ends the menu session.
* Every action checks the role's permission (``roles.PERMISSIONS``) and is
  journaled as a ``maintenance`` record with the role — a transaction, so it
  is uploaded to the central server like a payment. A PIN is never journaled.
  While the journal cannot be written the menu still opens, without the flow
  and with only what needs no journal (``unjournaled``).
* Cash is counted from the journal (``cashbox``). A collection is one
  ``cash_collected`` record (a transaction too) and a printed report.
* Slow work (printing, the card reader, the network) runs on the device's own
  thread or a helper thread; answers come back through ``done`` callbacks on
  that thread (the UI hands them to its own thread).
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config.loader import LOCAL_FILE, ConfigError, defaults, local_changes, merge, validate
from config.records import RecordKind
from config.settings import Settings
from drivers.cards.staff import StaffCard
from drivers.printer.printer import PrintResult
from kiosk.flow import State
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow.view import View
from kiosk.journaling import write
from kiosk.ledger import Cashbox, cashbox, collection_record, last_payment
from kiosk.maintenance import export as exporting
from kiosk.maintenance.diagnostics import (
    NetworkCheck,
    SyncState,
    SystemState,
    check_network,
    disk_mb,
    memory_available_mb,
    rss_mb,
    sync_state,
)
from kiosk.maintenance.host import Host
from kiosk.maintenance.pins import LockState, PinStore, audit_records, lock_from, lock_until
from kiosk.maintenance.roles import Function, NotAllowed, Role, allowed, require
from kiosk.maintenance.unjournaled import FUNCTIONS as UNJOURNALED_FUNCTIONS
from kiosk.maintenance.unjournaled import Unjournaled
from kiosk.money import Language, Money
from kiosk.receipt import collection_report, test_page
from kiosk.shell.central import enroll
from kiosk.shell.health import DeviceReport
from kiosk.shell.offthread import run_off_thread
from offline_queue.files import write_atomically
from offline_queue.journal import Journal, JournalError

log = logging.getLogger(__name__)
KIND = RecordKind.MAINTENANCE
LOCATION_TEXT = re.compile(r"[^\x00-\x1f\x7f<>]{1,60}")
ENROLLMENT_CODE = re.compile(r"[A-Za-z0-9_-]{4,64}", re.ASCII)


@dataclass(frozen=True, slots=True)
class PinResult:
    role: Role | None  # None: refused
    lock: LockState
    tries_left: int


@dataclass(frozen=True, slots=True)
class Printed:
    """A maintenance printout's outcome (the test page)."""

    ok: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Collection:
    record_id: str
    box: Cashbox
    counted: Money | None
    printed: bool


class Maintenance:
    """The menu's actions for the kiosk ``host``; every setting is read from its
    current settings (a config bundle's PINs, lockout and timeout included)."""

    def __init__(self, host: Host, *, clock: Callable[[], datetime] | None = None) -> None:
        self._app = host
        self._clock = clock or (lambda: datetime.now(UTC))
        self.is_mount: Callable[[Path], bool] = os.path.ismount
        self._unjournaled = Unjournaled()  # the menu while the journal cannot be written

    @property
    def pins(self) -> PinStore:
        """Each role's PIN hash: the current settings', unless changed on the kiosk."""
        section = self.settings().maintenance
        return PinStore(
            {
                Role.TECHNICIAN: section.technician_pin,
                Role.COLLECTOR: section.collector_pin,
                Role.ADMINISTRATOR: section.administrator_pin,
            },
            self._app.data_dir / "pins.json",
        )

    # -- who is in --------------------------------------------------------------
    @property
    def role(self) -> Role | None:
        if self.journal_failed():
            return self._unjournaled.role
        view = self._app.view()
        if view is None or view.state is not State.MAINTENANCE:
            return None
        return Role(view.maintenance_role) if view.maintenance_role else None

    def may(self, function: Function) -> bool:
        role = self.role
        if self.journal_failed() and function not in UNJOURNALED_FUNCTIONS:
            return False
        return role is not None and allowed(role, function)

    def journal_failed(self) -> bool:
        """The journal cannot be written: the kiosk is out of service until restarted."""
        return self._app.journal_failed()

    def settings(self) -> Settings:
        return self._app.current_settings()

    def currency(self) -> str:
        return self.settings().kiosk.currency

    def out_of_service(self) -> bool:
        view = self._app.view()
        return view is not None and view.out_of_service is not None

    def acceptor_testing(self) -> bool:
        view = self._app.view()
        return view is not None and view.acceptor_test

    def lock(self) -> LockState:
        section = self.settings().maintenance
        newer = self._unjournaled.records
        try:
            journaled = audit_records(self._journal, section.max_pin_failures)
        except JournalError as exc:  # held by another process: what is in memory
            log.warning("maintenance records cannot be read: %s", exc)
            journaled = []
        return lock_from([*newer, *journaled], self._clock())

    def enter_pin(self, pin: str) -> PinResult:
        """Check a PIN from the keypad; on success the flow enters maintenance."""
        section = self.settings().maintenance
        now = self._clock()
        lock = self.lock()
        if lock.locked(now):
            self._write({"action": "pin_refused", "why": "locked"})
            return PinResult(None, lock, 0)
        role = self.pins.role_of(pin)
        if role is None:
            self._write({"action": "pin_failed", "failures": lock.failures + 1})
            if lock.failures + 1 >= section.max_pin_failures:
                until = lock_until(now, section.lockout_minutes)
                self._write({"action": "locked", "until": until.isoformat()})
                log.warning("maintenance PIN entry locked until %s", until.isoformat())
            lock = self.lock()
            return PinResult(None, lock, max(0, section.max_pin_failures - lock.failures))
        self._write({"action": "pin_accepted", "role": role.value})
        self._enter(role)
        return PinResult(role, LockState(0, None), section.max_pin_failures)

    def staff_card(self, card: StaffCard | str) -> None:
        """From the card reader's thread: a genuine technician card opens the menu."""
        if isinstance(card, str):
            self._write({"action": "card_refused", "why": card})
            return
        view = self._app.view()
        free = view is not None and view.state in (State.ATTRACT, State.OUT_OF_SERVICE)
        if not (free or self.journal_failed()):
            log.info("technician card not acted on: a customer's screen is showing")
            return
        self._write({"action": "card_accepted", "role": card.role, "staff": card.staff_id})
        self._enter(Role(card.role), by=card.staff_id)

    def leave(self) -> None:
        if self.journal_failed():
            role = self._unjournaled.leave()
            if role is not None:
                self._write({"action": "left", "role": role.value})
                self._app.show_journal_failure()
            return
        self._app.post(e.MaintenanceLeft())

    def touched(self) -> None:
        """A touch while the flow is not fed: the menu's timeout starts again."""
        self._unjournaled.touched(self._timeout_s(), self.leave)

    def _enter(self, role: Role, by: str = "pin") -> None:
        if not self.journal_failed():
            self._app.post(e.MaintenanceEntered(role.value, by=by))
            return
        self._unjournaled.enter(role, self._timeout_s(), self.leave)
        self._write({"action": "entered", "role": role.value, "by": by})
        self._app.show(View(State.MAINTENANCE, maintenance_role=role.value))

    def _timeout_s(self) -> float:
        return float(self.settings().timeouts.maintenance)

    # -- diagnostics ------------------------------------------------------------
    def devices(self) -> dict[str, DeviceReport]:
        """Each device's state, last error and counters (in memory: cheap to poll)."""
        self._need(Function.DIAGNOSTICS)
        return self._app.health.snapshot()

    def sync(self) -> SyncState:
        """The upload queue, from the journal."""
        self._need(Function.DIAGNOSTICS)
        return sync_state(self._journal)

    def system(self) -> SystemState:
        """Versions, config, enrollment, disk and memory (reads files: on demand)."""
        self._need(Function.DIAGNOSTICS)
        app = self._app
        free, total = disk_mb(app.data_dir)
        view = app.view()
        settings = self.settings()
        embedded = defaults()["maintenance"]
        hashes = self.pins.hashes()
        return SystemState(
            app_version=app.version,
            settings_version=view.settings_version if view is not None else 0,
            bundle_signer=settings.central.operator_public_key_hex[:16] or "none pinned",
            kiosk_id=settings.kiosk.id,
            enrolled_as=app.credentials.kiosk_id if app.credentials else None,
            central_url=settings.central.url,
            disk_free_mb=free,
            disk_total_mb=total,
            memory_rss_mb=rss_mb(),
            memory_available_mb=memory_available_mb(),
            demo_pins=any(hashes[role] == embedded[f"{role.value}_pin"] for role in Role),
        )

    def check_network(self, done: Callable[[NetworkCheck], object]) -> None:
        self._need(Function.DIAGNOSTICS)
        central = self.settings().central
        self._later(lambda: check_network(central.url, 5.0, central.verify), done)

    # -- self-tests ---------------------------------------------------------------
    def test_print(self, lang: Language, done: Callable[[Printed], object]) -> None:
        role = self._need(Function.SELF_TESTS)
        receipts = self._app.receipts
        if receipts is None:
            done(Printed(False, "no printer"))
            return
        at = self._clock().isoformat()

        def printed(result: PrintResult) -> None:
            self._write({"action": "test_print", "printed": result.printed,
                         "error": result.error}, role)  # fmt: skip
            done(Printed(result.printed, result.error))

        receipts.print_document(test_page(self.settings(), at, lang), printed)

    def acceptor_test(self, on: bool) -> None:
        role = self._need(Function.SELF_TESTS)
        self._write({"action": "acceptor_test", "on": on}, role)
        self._app.post(e.AcceptorTestSet(on))

    def card_read_test(self, done: Callable[[str], object]) -> None:
        role = self._need(Function.SELF_TESTS)
        cards = self._app.cards
        if cards is None:
            done("no card reader is fitted")
            return

        def read(answer: str) -> None:
            self._write({"action": "card_read_test", "result": answer}, role)
            done(answer)

        cards.read_test(read)

    # -- the upload queue -----------------------------------------------------------
    def retry_dead_letters(self) -> int:
        role = self._need(Function.SYNC)
        ids = [letter.id for letter in self._journal.outbox_dead(limit=10_000)]
        revived = self._journal.outbox_revive(ids)
        self._write({"action": "dead_letters_retried", "count": revived}, role)
        return revived

    # -- operations -----------------------------------------------------------------
    def set_out_of_service(self, on: bool) -> None:
        role = self._need(Function.OUT_OF_SERVICE)
        self._write({"action": "out_of_service", "on": on}, role)
        self._app.post(e.OutOfServiceSet("technician") if on else e.ServiceRestored())

    def restart(self) -> None:
        role = self._need(Function.RESTART)
        self._write({"action": "restart"}, role)
        self._app.request_restart()

    def reprint_last(self, lang: Language, done: Callable[[bool], object]) -> None:
        role = self._need(Function.REPRINT)
        last = last_payment(self._journal)
        receipts = self._app.receipts
        if last is None or receipts is None:
            done(False)
            return
        transaction = last.transaction

        def printed(ok: bool) -> None:
            self._write({"action": "reprint", "transaction": transaction, "printed": ok}, role)
            done(ok)

        receipts.reprint(transaction, lang, printed)

    def drives(self) -> list[Path]:
        self._need(Function.EXPORT)
        roots = self.settings().maintenance.export_roots
        return exporting.drives(roots, self.is_mount)

    def export(self, drive: Path, done: Callable[[Path | str], object]) -> None:
        """Export to ``drive`` (one of ``drives()``); ``done`` gets the folder or why not."""
        role = self._need(Function.EXPORT)
        if drive not in self.drives():
            done(f"{drive} is not a removable drive")
            return
        settings = self.settings()
        data = exporting.Folders(
            self._app.data_dir / "logs", Path(settings.paths.backups), Path(settings.paths.archives)
        )

        def run() -> Path | str:
            try:
                folder = exporting.export(
                    self._journal, drive, settings.kiosk.id, data, self._clock()
                )
            except OSError as exc:
                self._write({"action": "export_failed", "why": str(exc)}, role)
                return f"{type(exc).__name__}: {exc}"
            self._write({"action": "exported", "folder": folder.name}, role)
            return folder

        self._later(run, done)

    # -- cash -------------------------------------------------------------------------
    def cashbox(self) -> Cashbox:
        self._need(Function.CASH)
        return cashbox(self._journal, self.settings().kiosk.currency)

    def collect(
        self, counted: Money | None, lang: Language, done: Callable[[Collection], object]
    ) -> None:
        """Close the period: journal what the journal counted and what the collector
        counted (a difference is the discrepancy), print the report, upload it."""
        role = self._need(Function.CASH)
        box = self.cashbox()
        record = collection_record(box, counted, role.value)
        record_id = uuid.uuid4()
        entry = write(
            self._journal,
            c.JournalRecord(RecordKind.CASH_COLLECTED, None, record, record_id),
        )
        self._poke()
        receipts = self._app.receipts
        if receipts is None:
            done(Collection(str(record_id), box, counted, False))
            return
        report = collection_report(self.settings(), record, entry.at, str(record_id), lang)
        receipts.print_document(
            report, lambda result: done(Collection(str(record_id), box, counted, result.printed))
        )

    # -- administration -------------------------------------------------------------------
    def set_pin(self, target: Role, pin: str) -> None:
        role = self._need(Function.PINS)
        self.pins.set(target, pin)  # raises BadPin
        self._write({"action": "pin_changed", "of": target.value}, role)

    def enroll(self, code: str, done: Callable[[str | None], object]) -> None:
        """Trade a one-time code for this kiosk's credential, then restart to use it;
        ``done`` gets None on success or why not."""
        role = self._need(Function.ENROLLMENT)
        if not ENROLLMENT_CODE.fullmatch(code):
            done("an enrollment code is 4 to 64 letters, digits, - or _")
            return
        settings = self.settings()
        path = self._app.data_dir / settings.central.credentials_file

        def run() -> str | None:
            try:
                central = settings.central
                credentials = enroll(central.url, code, path, central.timeout_s, central.verify)
            except Exception as exc:
                reason = f"enrollment refused or unreachable: {type(exc).__name__}"
                self._write({"action": "enroll_failed", "why": reason}, role)
                return reason
            self._write({"action": "enrolled", "as": credentials.kiosk_id}, role)
            self._app.request_restart()
            return None

        self._later(run, done)

    def set_location(self, zh: str, en: str) -> None:
        """The kiosk's location as customers and receipts show it."""
        role = self._need(Function.SETTINGS)
        zh, en = zh.strip(), en.strip()
        for text in (zh, en):
            if not LOCATION_TEXT.fullmatch(text):
                raise ConfigError("a location is 1 to 60 characters, no < > or control codes")
        self._change({"kiosk": {"location": zh, "location_en": en}}, role)

    def set_devices(
        self, change: dict[str, dict[str, Any]], done: Callable[[str | None], object]
    ) -> None:
        """New device connections (``printer``, ``acceptor``, ``card_reader``
        sections): validated, tried, and kept only if every changed device
        answers; then the kiosk restarts on them. ``done`` gets None or why not."""
        role = self._need(Function.SETTINGS)
        unknown = set(change) - {"printer", "acceptor", "card_reader"}
        if unknown:
            done(f"not a device: {', '.join(sorted(unknown))}")
            return
        try:
            trial = validate(merge(self.settings().model_dump(mode="json"), change))
        except ConfigError as exc:
            done(str(exc))
            return

        def run() -> str | None:
            problem = self._app.try_devices(trial, set(change))
            if problem is not None:
                self._write({"action": "devices_refused", "change": change, "why": problem}, role)
                return problem
            self._change(change, role)
            self._app.request_restart()
            return None

        self._later(run, done)

    # -- plumbing -------------------------------------------------------------------
    @property
    def _journal(self) -> Journal:
        journal = self._app.journal
        assert journal is not None, "the kiosk is not running"
        return journal

    def _need(self, function: Function) -> Role:
        role = require(self.role, function)
        if self.journal_failed() and function is Function.OUT_OF_SERVICE:
            raise NotAllowed("the journal cannot be written: the kiosk stays out of service")
        if not self.may(function):
            raise NotAllowed(f"{function.value} needs a journal that can be written")
        return role

    def _write(self, data: dict[str, Any], role: Role | None = None) -> None:
        if role is not None:
            data = {**data, "role": role.value}
        if self.journal_failed():
            self._unjournaled.write(data)
            return
        write(self._journal, c.JournalRecord(KIND, None, data, uuid.uuid4()))
        self._poke()

    def _poke(self) -> None:
        self._app.upload_soon()

    def _change(self, change: dict[str, Any], role: Role) -> None:
        """Keep a settings change in the data folder's local file (validated first)."""
        data_dir = self._app.data_dir
        changes = merge(local_changes(data_dir), change)
        validate(merge(self.settings().model_dump(mode="json"), changes))
        write_atomically(data_dir / LOCAL_FILE, _json(changes))
        self._write({"action": "settings_changed", "change": change}, role)

    def _later(self, work: Callable[[], Any], done: Callable[[Any], object]) -> None:
        """Off the main thread; ``done`` gets the answer, or a ``Failed`` saying why."""
        run_off_thread(work, done, "maintenance")


def _json(tree: dict[str, Any]) -> bytes:
    return json.dumps(tree, ensure_ascii=False, indent=2, sort_keys=True).encode()
