"""The crash harness: kill -9 the kiosk at chosen instants, restart it, and
compare three ledgers at the end.

What must survive a kiosk crash lives here, in the harness's process, as it
would outside a real kiosk's computer: the ID-003 bill validator (simulated
on a pty: it keeps its state and its cashbox while the kiosk is dead), the
receipt printer (ESC/POS on a socket) and the central server (uvicorn on
loopback, a SQLite file). The kiosk itself (``tests.reliability.child``) runs
in a subprocess: the real app, driven by a robot customer, with the notes fed
into the simulator by a feeder thread here whenever it takes notes.

Kill points (``POINTS``): the validator reporting a note in escrow; the STACK
command arriving; VEND VALID reported (before the kiosk's ACK); the N-th
journal commit, inside it; a batch upload arriving at the server (before or
after the server stores it); a config bundle being swapped in; a receipt's
first bytes at the printer; a random instant; and, given a pcscd reader, a
prepaid purchase being written to the customer's account card (before or
after the card stores it; some runs' customers come with the card).

At the end a last run, with the feeder stopped, lets the kiosk recover and
upload everything; then the ledgers: notes the simulator stacked, credits in
the journal, cash transactions at the central server.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from central.bundles import next_version, publish
from central.seed import seed_demo
from central.serve import Central, running
from config import bundle
from drivers.id003.codes import Cmd, Status
from drivers.id003.frames import Frame
from drivers.sim.escpos_device import EscposDevice
from drivers.sim.escpos_server import EscposServer
from drivers.sim.id003_device import Id003Device
from drivers.sim.pty import PtyServer
from drivers.sim.vicc import AccountCard
from offline_queue.bundles import BundleStore
from tests.reliability.ledgers import REACH_S, Ledgers, tally

ROOT = Path(__file__).resolve().parents[2]
POINTS = ("escrow", "stack", "vend_valid", "commit", "upload", "bundle", "receipt", "random")
CARD_POINT = "card_write"  # with a card reader (pcscd + vpcd): a purchase being written
NOTES_MAJOR = (10, 20, 50, 100)
KIOSK_ID = "K-CRASH"
ACCOUNT = "3301234568"  # prepaid electricity: the customer chooses how much to buy
SETTLE_S = 90.0


class _Validator(Id003Device):
    """The simulator, with the harness's kill points on its wire."""

    rig: CrashRig | None = None

    def _reply(self, frame: Frame) -> bytes:
        rig = self.rig
        if rig is not None:
            if frame.cmd == Cmd.STATUS_REQUEST and self.status is Status.ESCROW:
                rig.fire("escrow")
            elif frame.cmd == Cmd.STATUS_REQUEST and self.status is Status.VEND_VALID:
                rig.fire("vend_valid")
            elif frame.cmd in (Cmd.STACK_1, Cmd.STACK_2):
                rig.fire("stack")
        return super()._reply(frame)


@dataclass
class _Card(AccountCard):
    """The customer's account card; the harness's kill point on its write."""

    rig: CrashRig | None = None

    def apdu(self, command: bytes) -> bytes:
        writing = len(command) > 1 and command[1] == 0xD6  # UPDATE BINARY
        if writing and self.rig is not None and self.rig.coin.random() < 0.5:
            self.rig.fire(CARD_POINT)  # before the card stores it
        answer = super().apdu(command)
        if writing and self.rig is not None:
            self.rig.fire(CARD_POINT)  # stored, and the kiosk never hears back
        return answer


class _Printer(EscposDevice):
    rig: CrashRig | None = None

    def receive(self, data: bytes) -> bytes:
        if self.rig is not None and len(data) > 3:  # more than a status query: a receipt
            self.rig.fire("receipt")
        return super().receive(data)


class CrashRig:
    def __init__(self, folder: Path, seed: int, reader: str | None = None) -> None:
        self.folder = folder
        self.reader = reader  # a pcscd reader name: card sessions and the card-write point
        self.points = (*POINTS, CARD_POINT) if reader else POINTS
        self.card = _Card(account=ACCOUNT, service="electricity")
        self.coin = random.Random(seed + 3)
        self._cards = threading.Event()  # this run's customers come with their card
        self.state = ""
        self.rng = random.Random(seed)
        self.seed = seed
        self.data_dir = folder / "var"
        self.quiet = folder / "quiet"
        self.validator = _Validator()
        self.printer = _Printer()
        self._armed: str | None = None
        self._fired = threading.Event()
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._feeding = threading.Event()
        self._stop = threading.Event()
        self._session_seen = False
        self._private, self._public = bundle.new_key()
        self.central: Central | None = None
        self.ledgers = Ledgers()
        self.last_ticks: list[str] = []

    # -- the world around the kiosk -----------------------------------------
    @contextmanager
    def running(self) -> Iterator[CrashRig]:
        with ExitStack() as stack:
            self.validator.rig = self
            self.printer.rig = self
            self.card.rig = self
            if self.reader is not None:
                from drivers.sim.pcscd import Slot  # noqa: PLC0415 - needs pyscard

                slot = Slot(self.reader, slot=int(self.reader.split()[-1]))  # "… 00 01" → 1
                stack.callback(slot.remove)
                carder = threading.Thread(target=self._carry_card, args=(slot,), daemon=True)
                carder.start()
                stack.callback(carder.join, 10)
            pty = stack.enter_context(PtyServer(self.validator))
            printer = stack.enter_context(EscposServer(self.printer, port=0))
            central = self.central = stack.enter_context(
                running(self.folder / "central.db", wrap=self._watch_uploads)
            )
            seed_demo(central.app.state.engine, datetime.now(UTC).date())
            self._enroll(central, pty.path, printer.port)
            feeder = threading.Thread(target=self._feed, name="feeder", daemon=True)
            feeder.start()
            stack.callback(feeder.join, 5)
            stack.callback(self._stop.set)
            yield self

    def _enroll(self, central: Central, pty: str, printer_port: int) -> None:
        self.data_dir.mkdir(parents=True)
        token = central.enroll(KIOSK_ID)
        credentials = {"kiosk_id": KIOSK_ID, "group": "default", "token": token}
        (self.data_dir / "central.json").write_text(json.dumps(credentials))
        settings = {
            "paths": {"data_dir": str(self.data_dir)},
            "central": {"url": central.url, "heartbeat_s": 1, "timeout_s": 2,
                        "operator_public_key_hex": self._public, "bundle_wait_s": 1,
                        "batch_size": 5},
            "card_reader": {"enabled": self.reader is not None, "reader": self.reader or "",
                            "insert_timeout_s": 20},
            "acceptor": {"protocol": "id003", "port": pty, "poll_interval_ms": 50},
            "printer": {"connection": "network", "host": "127.0.0.1", "port": printer_port},
            "cash": {"max_overpay_fen": 5000},
        }  # fmt: skip
        spec = {"settings": settings, "seed": self.seed, "quiet": str(self.quiet),
                "account": ACCOUNT, "time_scale": 0.1}  # fmt: skip
        (self.folder / "child.json").write_text(json.dumps(spec))

    def _publish_bundle(self) -> None:
        assert self.central is not None
        engine = self.central.app.state.engine
        version = next_version(engine)
        document = bundle.sign(
            {"version": version, "expires": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
             "target": {"group": "default"},
             "config": {"kiosk": {"location": f"crash harness, bundle {version}"}}},
            self._private,
        )  # fmt: skip
        publish(engine, document)
        self.central.app.state.bundles.refresh()

    def _watch_uploads(self, app: ASGIApp) -> ASGIApp:
        coin = random.Random(self.seed + 1)

        async def watched(scope: Scope, receive: Receive, send: Send) -> None:
            upload = scope["type"] == "http" and scope["path"].endswith("/transactions/batch")
            if upload and self._armed == "upload" and coin.random() < 0.5:
                self.fire("upload")  # before the server stores the batch
            await app(scope, receive, send)
            if upload:
                self.fire("upload")  # after it stored it: the answer is lost

        return watched

    def _carry_card(self, slot: Any) -> None:
        """In card runs, a customer at the attract screen inserts the account card;
        after the session (back at attract) takes it out and the next one puts it in."""
        inserted = False
        while not self._stop.wait(0.1):
            if not self._cards.is_set():
                if inserted:
                    slot.remove()
                    inserted = False
                continue
            if self.state == "attract" and not inserted:
                slot.insert(self.card)
                inserted = True
            elif self.state == "attract" and inserted and self._session_seen:
                slot.remove()
                inserted = self._session_seen = False
            elif self.state not in ("attract", "", "starting"):
                self._session_seen = True

    def _feed(self) -> None:
        """A customer with a wallet: a note whenever the validator takes one."""
        wallet = random.Random(self.seed + 2)
        while not self._stop.wait(0.05):
            device = self.validator
            if self._feeding.is_set() and device.status is Status.IDLING and not device.waiting:
                device.insert(wallet.choice(NOTES_MAJOR))

    # -- kills --------------------------------------------------------------
    def fire(self, point: str) -> None:
        """Called at each kill point; kills the kiosk if that point is armed."""
        with self._lock:
            if self._armed != point or self._pid is None:
                return
            self._armed = None
            with contextlib.suppress(ProcessLookupError):  # it died by itself: see kill_once
                os.kill(self._pid, signal.SIGKILL)
            self._fired.set()

    def _start(self, crash: str = "", cards: bool = False) -> subprocess.Popen[str]:
        env = {**os.environ, "KIOSK_CRASH": crash, "QT_QPA_PLATFORM": "offscreen",
               "KIOSK_ROBOT": "card" if cards else "keypad"}  # fmt: skip
        self.state = ""
        if cards:
            self._cards.set()
        else:
            self._cards.clear()
        with (self.folder / "kiosk.log").open("a") as log:  # the kiosk's own log, every run
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.reliability.child", str(self.folder / "child.json")],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
            )  # fmt: skip
        self.last_ticks = []
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()
        return proc

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        with proc.stdout:
            for line in proc.stdout:
                words = line.split()
                if not line.endswith("\n") or len(words) < 2:
                    continue  # cut off by the kill in the middle of a line
                if words[0] == "TICK":
                    self.last_ticks.append(line.strip())
                elif words[0] == "STATE":
                    self.state = words[1]

    def kill_once(self, point: str) -> None:
        crash = ""
        if point == "commit":
            crash = f"commit:{self.rng.randint(3, 40)}"
        elif point == "bundle":
            crash = "bundle:1"
            self._publish_bundle()
        delay = self.rng.uniform(0.3, 4.0) if point == "random" else REACH_S
        self._fired.clear()
        cards = point == CARD_POINT or (self.reader is not None and self.rng.random() < 0.2)
        proc = self._start(crash, cards)
        with self._lock:
            self._pid = proc.pid
            self._armed = point if point not in ("commit", "bundle", "random") else None
        self._feeding.set()
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            with self._lock:
                self._armed = None
                proc.kill()
            if point != "random":
                self.ledgers.late[point] += 1
        with self._lock:  # reaped under the lock: a kill point firing now finds no pid
            proc.wait()
            self._pid, self._armed = None, None
        if proc.returncode != -signal.SIGKILL:  # every run ends by kill -9, ours or its own
            self.ledgers.exits.append(f"{point}: exit status {proc.returncode}")
        self.ledgers.kills[point] += 1

    def campaign(self, kills: int, on_kill: Callable[[int, str], None] | None = None) -> Ledgers:
        for number in range(kills):
            point = self.rng.choice(self.points)
            self.kill_once(point)
            if on_kill is not None:
                on_kill(number, point)
        self.settle()
        self.count()
        return self.ledgers

    def settle(self) -> None:
        """A last run: no new customers, everything recovered and uploaded."""
        self.quiet.touch()
        self._cards.clear()
        self._feeding.clear()
        self.validator.withdraw()
        proc = self._start()
        deadline = time.monotonic() + SETTLE_S
        try:
            device = self.validator
            while time.monotonic() < deadline:
                time.sleep(0.5)
                device.withdraw()  # a note the feeder queued as it was stopped
                if self.last_ticks[-3:] == ["TICK attract 0"] * 3 and not device.holding:
                    break
            else:
                raise TimeoutError(
                    f"the kiosk did not settle: {self.last_ticks[-3:]}, validator "
                    f"{device.status.name}, holding a note: {device.holding}"
                )
        finally:
            self._feeding.clear()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        if proc.returncode != 0:
            self.ledgers.exits.append(f"last run: exit status {proc.returncode} on SIGTERM")

    # -- the ledgers --------------------------------------------------------
    def count(self) -> None:
        assert self.central is not None
        engine = self.central.app.state.engine
        store = BundleStore(self.data_dir / "bundles", self._public)
        loaded = store.load()
        newest = next_version(engine) - 1
        self.ledgers.bundle_ok = newest == 0 or (loaded is not None and loaded.version == newest)
        self.ledgers.stacked = [major * 100 for major in self.validator.stacked]
        tally(self.ledgers, self.data_dir / "journal.db", engine, KIOSK_ID)
