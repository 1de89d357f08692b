"""The app shell: everything the kiosk runs, built from the settings and wired.

``KioskApp`` makes the journal, settles sessions a crash left unfinished
(before the first customer can start one), builds the devices the settings
name — real ones or, with ``"sim"``, the wire-level simulators — and the
central-server services, and runs the pay flow with a ``FlowRunner``.

* Every device has one owner thread (the acceptor's driver, the printer, the
  card reader, the card watcher); each posts flow events through the runner,
  whose ``dispatch`` puts the work on the flow's thread — in the kiosk, the Qt
  main thread, through the UI's bridge object.
* Screens come out as ``View`` objects through ``show``; the shell knows
  nothing of Qt.
* ``stop`` stops the services in the reverse order of starting and closes
  the journal; a SIGTERM handler in the entry point calls it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

from config.choices import PaymentMethod
from config.settings import Settings
from drivers.cards.reader import CardInserted, CardPulled, CardWatcher, PcscReader
from kiosk.flow import PayFlow, State
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow.view import View
from kiosk.ledger import cashbox, offline_allowance, pending_give_backs, technician_out_of_service
from kiosk.maintenance.service import Maintenance
from kiosk.maintenance.trials import try_acceptor, try_printer, try_reader
from kiosk.money import Money
from kiosk.recovery import RecoveryReport, recover
from kiosk.shell.absent import NoCardReader, NoCentral
from kiosk.shell.acceptor_link import AcceptorLink
from kiosk.shell.cards import Authorization, CardService
from kiosk.shell.central import CentralService, Credentials, load_credentials
from kiosk.shell.devices import Acceptor, build_acceptor
from kiosk.shell.health import DeviceHealth
from kiosk.shell.heartbeat import HeartbeatService
from kiosk.shell.liveness import Liveness
from kiosk.shell.printing import Printer, ReceiptService, build_printer
from kiosk.shell.runner import Dispatch, FlowRunner
from offline_queue.bundles import BundlePoller, BundleStore
from offline_queue.files import write_atomically
from offline_queue.journal import Journal
from offline_queue.sync import SyncWorker

log = logging.getLogger(__name__)
DEVICE_CHANGE_S = 15.0  # an acceptor stops within its driver's join timeout
OUTBOX_SCAN = 1000  # unsent refunds and reversals asked for again at start
QR_METHODS = frozenset(PaymentMethod) - {PaymentMethod.CASH, PaymentMethod.CARD}


class Stoppable(Protocol):
    def stop(self) -> None: ...


Part = TypeVar("Part", bound=Stoppable)


class KioskApp:
    def __init__(
        self,
        settings: Settings,
        show: Callable[[View], None],
        *,
        dispatch: Dispatch | None = None,
        receipts_png: Path | None = None,
        time_scale: float = 1.0,
        app_version: str = "0.1.0",
        on_restart: Callable[[], object] | None = None,
    ) -> None:
        self.settings = settings
        self.data_dir = Path(settings.paths.data_dir)
        self._show = show
        self._dispatch = dispatch
        self._receipts_png = receipts_png
        self._time_scale = time_scale
        self.version = app_version
        self._on_restart = on_restart
        self.health = DeviceHealth()
        self.sync: SyncWorker | None = None
        self.maintenance = Maintenance(self)
        self._running: list[Stoppable] = []  # in the order started
        self.journal: Journal | None = None
        self.runner: FlowRunner | None = None
        self.acceptor: Acceptor | None = None
        self.printer: Printer | None = None
        self.receipts: ReceiptService | None = None
        self.cards: CardService | None = None
        self.central: CentralService | None = None
        self.credentials: Credentials | None = None
        self.recovery: RecoveryReport | None = None
        self.liveness: Liveness | None = None
        self._update_told: str | None = None

    # -- start and stop -----------------------------------------------------
    def start(self) -> RecoveryReport:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.liveness = Liveness(self.data_dir, self.version)
        journal = self.journal = Journal(self.data_dir / "journal.db")
        self.recovery = recover(journal)  # before any customer can start a session
        runner = self.runner = FlowRunner(
            PayFlow(self.settings), journal,
            time_scale=self._time_scale, dispatch=self._dispatch, on_failure=self._journal_failed,
        )  # fmt: skip
        self.printer = self._keep(build_printer(self.settings.printer, self._receipts_png))
        self.receipts = self._keep(
            ReceiptService(
                self.printer.printer, journal, self.settings, runner.post, health=self.health
            )
        )
        self._start_central(runner, journal)
        self._start_cards(runner)
        self._link = AcceptorLink(runner, journal, health=self.health)
        self._start_acceptor(self.settings)
        self._route(runner)
        self._resend_refunds(journal)
        runner.start()
        runner.post(e.MethodsAvailable(self.methods()))
        if technician_out_of_service(journal):
            runner.post(e.OutOfServiceSet("technician"))
        self._reprint_after_recovery(self.recovery)
        return self.recovery

    def _start_acceptor(self, settings: Settings) -> None:
        assert self.journal is not None and self.runner is not None
        link = self._link
        self.acceptor = build_acceptor(settings.acceptor, link.on_event, link.credit, self.journal)
        if self.acceptor is not None:
            self._keep(self.acceptor)
            self.runner.acceptor = self.acceptor.driver  # enable, stack, return: the runner's

    def current_settings(self) -> Settings:
        """The settings in use (a config bundle's are swapped in between sessions)."""
        return self.runner.flow.settings if self.runner is not None else self.settings

    def view(self) -> View | None:
        """The flow's current view; None before the flow runs."""
        return self.runner.flow.view() if self.runner is not None else None

    def journal_failed(self) -> bool:
        """The journal cannot be written: out of service until restarted."""
        return self.runner is not None and self.runner.failure is not None

    def upload_soon(self) -> None:
        if self.sync is not None:
            self.sync.poke()

    def request_restart(self) -> None:
        """The maintenance menu's restart: the entry point decides how (``kiosk run``
        exits for systemd to start it again; the demo restarts in process)."""
        if self._on_restart is not None:
            self._on_restart()
        else:
            log.warning("restart asked for, but this kiosk was started without a way to")

    def try_devices(self, trial: Settings, devices: set[str]) -> str | None:
        """Does each named device answer with the ``trial`` settings? None if so.
        The acceptor's port is let go for the test and taken back after it."""
        if "printer" in devices:
            problem = try_printer(trial.printer)
            if problem is not None:
                return f"printer: {problem}"
        if "card_reader" in devices:
            problem = try_reader(trial.card_reader)
            if problem is not None:
                return f"card reader: {problem}"
        if "acceptor" in devices:
            assert self.journal is not None
            self._on_flow_thread(self._stop_acceptor)  # the flow uses it: its thread stops it
            try:
                problem = try_acceptor(trial.acceptor, self.journal)
            finally:
                self._on_flow_thread(lambda: self._start_acceptor(self.current_settings()))
            if problem is not None:
                return f"bill acceptor: {problem}"
        return None

    def _stop_acceptor(self) -> None:
        old, self.acceptor = self.acceptor, None
        if self.runner is not None:
            self.runner.acceptor = None
        if old is not None:
            old.stop()
            self._running.remove(old)

    def _on_flow_thread(self, work: Callable[[], object]) -> None:
        """Device changes happen on the thread the flow uses them from."""
        if self.runner is None:
            work()
        elif not self.runner.call(work).wait(DEVICE_CHANGE_S):
            raise TimeoutError("the flow's thread did not take the device change")

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        for part in reversed(self._running):
            try:
                part.stop()
            except Exception:
                log.exception("stopping %s failed", type(part).__name__)
        self._running.clear()
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    def post(self, event: e.Event) -> None:
        if self.runner is not None:
            if self.journal_failed() and isinstance(event, e.ScreenTouched):
                self.maintenance.touched()  # the flow is not fed: the menu's timeout is here
            self.runner.post(event)

    def show(self, view: View) -> None:
        """A view that does not come from the flow (the menu while the journal failed),
        from any thread: shown on the flow's."""
        if self._dispatch is None:
            self._show(view)
        else:
            self._dispatch(lambda: self._show(view))

    def methods(self) -> frozenset[PaymentMethod]:
        """The methods the kiosk's devices allow (the flow leaves out QR offline)."""
        methods = set(QR_METHODS)
        if self.acceptor is not None:
            methods.add(PaymentMethod.CASH)
        if self.cards is not None:
            methods.add(PaymentMethod.CARD)
        return frozenset(methods)

    def _keep(self, part: Part) -> Part:
        self._running.append(part)
        return part

    # -- parts --------------------------------------------------------------
    def _start_central(self, runner: FlowRunner, journal: Journal) -> None:
        section = self.settings.central
        self.credentials = load_credentials(self.data_dir / section.credentials_file)
        if self.credentials is None:
            log.warning("not enrolled with a central server: lookups and QR are unavailable")
            runner.post(e.ConnectivityChanged(False, self._allowance()))
            return
        url, token = section.url, self.credentials.token
        self.central = self._keep(
            CentralService(
                url,
                token,
                runner.post,
                timeout_s=section.timeout_s,
                verify=section.verify,
                qr_hold_s=section.qr_hold_s,
            )
        )
        sync = self.sync = SyncWorker(
            journal, url, token, batch_size=section.batch_size, timeout_s=section.timeout_s,
            verify=section.verify,
        )  # fmt: skip
        sync.start()
        self._keep(sync)
        beat = HeartbeatService(
            url, token, runner.post, self._telemetry, self._allowance,
            interval_s=section.heartbeat_s, timeout_s=section.timeout_s, verify=section.verify,
        )  # fmt: skip
        beat.on_accepted = self._heartbeat_accepted
        beat.start()
        self._keep(beat)
        if section.operator_public_key_hex:
            beat.on_bundle = self._start_bundles(url, token, self.credentials, runner).heard_of

    def _start_bundles(
        self, url: str, token: str, credentials: Credentials, runner: FlowRunner
    ) -> BundlePoller:
        key = self.settings.central.operator_public_key_hex
        tree = self.settings.model_dump(mode="json")  # the site's settings, not the defaults
        poller = BundlePoller(
            url, token, BundleStore(self.data_dir / "bundles", key), public_key_hex=key,
            kiosk_id=credentials.kiosk_id, group=credentials.group, local_tree=tree,
            on_accept=lambda s, b: runner.post(e.SettingsChanged(s, b.version)),
            wait_s=self.settings.central.bundle_wait_s, timeout_s=self.settings.central.timeout_s,
            verify=self.settings.central.verify,
        )  # fmt: skip
        poller.start()
        return self._keep(poller)

    def _start_cards(self, runner: FlowRunner) -> None:
        section = self.settings.card_reader
        if not section.enabled:
            return
        key = bytes.fromhex(section.account_key_hex)
        staff_key = bytes.fromhex(self.settings.maintenance.staff_card_key_hex)
        self.cards = self._keep(
            CardService(
                PcscReader(section.reader or None), runner.post, self._authorize,
                account_key=key, insert_timeout_s=section.insert_timeout_s,
                staff_key=staff_key, on_staff=self.maintenance.staff_card, health=self.health,
            )
        )  # fmt: skip
        cards = self.cards

        def listen(event: CardInserted | CardPulled) -> None:
            if isinstance(event, CardInserted):
                cards.card_inserted()

        self._keep(CardWatcher(listen, section.reader or None))

    def _authorize(self, request: object) -> Authorization:
        if self.central is None:
            raise ConnectionError("not enrolled with a central server")
        return self.central.authorize(request)  # type: ignore[arg-type]

    def _journal_failed(self, reason: str) -> None:
        """No payment can be recorded: out of service at once (the flow is no longer
        fed), and the technician is told why; a restart once the disk is fixed."""
        self.health.state("journal", "cannot be written")
        self.health.error("journal", reason)
        self.show_journal_failure()

    def show_journal_failure(self) -> None:
        self.show(View(State.OUT_OF_SERVICE, out_of_service="journal"))

    def _reprint_after_recovery(self, report: RecoveryReport) -> None:
        """Vouchers for money a crash left behind; receipts a crash did not print."""
        assert self.receipts is not None
        for voucher in report.vouchers:
            self.receipts.execute(c.PrintVoucher(voucher.transaction, voucher.amount))
        for session in report.receipts_to_reprint:
            log.info("session %s was paid before the restart; its receipt is reprinted", session)

    # -- commands -----------------------------------------------------------
    def _route(self, runner: FlowRunner) -> None:
        """Every command the flow can emit, to the one part that carries it out;
        the kiosk does not start with a gap (``UnroutedCommand``)."""
        routes = runner.routes
        routes.add(self._show_command, [c.Show])
        routes.add(self._health_check, [c.RequestHealthCheck])
        routes.add(self._restart_for_update, [c.RestartForUpdate])
        assert self.receipts is not None
        routes.add(self.receipts.execute, ReceiptService.COMMANDS)
        cards = self.cards or NoCardReader(runner.post)
        routes.add(cards.execute, cards.COMMANDS)
        central = self.central or NoCentral(runner.post)
        routes.add(central.execute, central.COMMANDS)
        routes.check()

    def _heartbeat_accepted(self) -> None:
        """(The heartbeat's thread.) Alive for the updater's gate; and a release
        staged beside this one is told to the flow, once."""
        if self.liveness is None or self.runner is None:
            return
        self.liveness.heartbeat_accepted()
        staged = self.liveness.staged()
        asked = (self.data_dir / "switch-asked").exists()  # a restart into it is under way
        if staged is not None and staged != self._update_told and not asked:
            self._update_told = staged
            self.runner.post(e.UpdateStaged(staged))

    def ready(self) -> None:
        """Recovery ran and the first screen is painted (the entry point says so)."""
        if self.liveness is not None:
            self.liveness.ready()

    def _restart_for_update(self, command: c.Command) -> None:
        """No customer is in a session: ask the updater for the switch, restart."""
        assert isinstance(command, c.RestartForUpdate)
        log.warning("restarting into the staged release %s", command.version)
        write_atomically(self.data_dir / "switch-asked", command.version.encode())
        self.request_restart()

    def _show_command(self, command: c.Command) -> None:
        assert isinstance(command, c.Show)
        self._show(command.view)

    def _health_check(self, _: c.Command) -> None:
        """The attract screen's periodic check: the printer's paper and what the
        devices allow (answered as PrinterChanged and MethodsAvailable)."""
        if self.receipts is not None:
            self.receipts.check_status()
        self.post(e.MethodsAvailable(self.methods()))

    def _resend_refunds(self, journal: Journal) -> None:
        """Refunds and reversals still waiting in the outbox (a restart, or the
        server was down): asked for again now; the outbox uploads them as well."""
        if self.central is None:
            return
        for give_back in pending_give_backs(journal, OUTBOX_SCAN):
            self.central.execute(give_back)

    # -- telemetry ------------------------------------------------------------
    def _allowance(self) -> Money:
        assert self.journal is not None
        return offline_allowance(self.journal, self.current_settings(), datetime.now(UTC))

    def _telemetry(self) -> dict[str, object]:
        assert self.journal is not None and self.runner is not None
        view = self.runner.flow.view()
        counts = self.journal.outbox_counts()
        box = cashbox(self.journal, self.current_settings().kiosk.currency)
        return {
            "devices": {
                "acceptor": "ok" if self.acceptor is not None else "absent",
                "printer": "ok" if view.printing else "not printing",
                "card_reader": "ok" if self.cards is not None else "absent",
            },
            "versions": {"app": self.version, "settings": str(view.settings_version)},
            "queue_depth": counts["pending"],
            "dead_letters": counts["dead"],
            "paper_low": view.paper_low,
            "cashbox_notes": box.count,
            "cashbox_fen": box.total.minor,
        }
