"""The kiosk the crash harness kills: ``python -m tests.reliability.child CONFIG``.

It is the real ``KioskApp`` (journal, recovery, acceptor driver on the
harness's pty, printer on the harness's ESC/POS socket, sync worker, bundle
poller against the harness's central server), headless: a robot customer
answers each screen the flow shows (with ``KIOSK_ROBOT=card`` it waits at
the attract screen for the account card the harness inserts). Notes are
inserted by the harness, into the simulator, as a customer would.

``KIOSK_CRASH`` arms a crash point inside this process, where the harness
cannot see: ``commit:N`` dies as the N-th journal transaction is about to
commit; ``bundle:1`` dies between writing a new config bundle's temporary
file and renaming it over the old one. The harness's own points (escrow,
stack, VEND VALID, upload, receipt, a random instant) kill it from outside.

Each screen is printed as ``STATE <name>``; once a second ``TICK <state>
<unsent transactions>``. SIGTERM stops the kiosk cleanly.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

import offline_queue.bundles
import offline_queue.files
from config.choices import PaymentMethod
from config.loader import defaults, merge, validate
from kiosk.app import KioskApp
from kiosk.flow import State
from kiosk.flow import events as e
from kiosk.flow.view import View
from kiosk.money import Money

AMOUNTS_FEN = (3000, 5000, 8000, 10000)
CANCEL_SHARE = 0.2  # sessions the customer cancels after a first note


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(spec: str) -> None:
    """Install the in-process crash point ``spec`` (see the module's doc)."""
    point, _, count = spec.partition(":")
    if point == "commit":
        left = [int(count or "1")]

        def before_commit(_: object) -> None:
            left[0] -= 1
            if left[0] == 0:
                die()

        event.listen(Engine, "commit", before_commit)
    elif point == "bundle":
        real = offline_queue.files.write_atomically

        def torn(path: Path, data: bytes, mode: int = 0o644) -> None:
            temporary = path.with_suffix(path.suffix + ".tmp")
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(data[: len(data) // 2])  # half written, not yet renamed
            die()
            real(path, data, mode)  # pragma: no cover - never reached

        vars(offline_queue.bundles)["write_atomically"] = torn  # the name the store calls


class Robot:
    """A customer who pays prepaid electricity in cash, and sometimes cancels."""

    def __init__(self, rng: random.Random, quiet: Path, account: str, cards: bool = False) -> None:
        self.rng = rng
        self.cards = cards  # customers come with their account card: wait for it
        self.quiet = quiet
        self.account = account
        self.app: KioskApp | None = None
        self.state = "starting"
        self._cancel_after_note = False

    def show(self, view: View) -> None:
        self.state = view.state.value
        print("STATE", self.state, flush=True)
        event = self.answer(view)
        if event is not None and self.app is not None:
            self.app.post(event)

    def answer(self, view: View) -> e.Event | None:  # noqa: PLR0911 - one answer per screen
        state = view.state
        if state is State.ATTRACT:
            return None if self.quiet.exists() or self.cards else e.StartPressed()
        if state is State.CHOOSE_SERVICE:
            return e.ServiceChosen("electricity")
        if state is State.IDENTIFY:
            return e.AccountEntered(self.account)
        if state is State.BILL_SHOWN:
            self._cancel_after_note = self.rng.random() < CANCEL_SHARE
            return e.AmountChosen(Money(self.rng.choice(AMOUNTS_FEN)))
        if state is State.CHOOSE_METHOD:
            if PaymentMethod.CASH in view.methods:
                return e.MethodChosen(PaymentMethod.CASH)
            return e.CancelPressed()
        if state is State.CASH_INSERTING:
            if self._cancel_after_note and view.paid is not None and view.paid.minor > 0:
                return e.CancelPressed()
            if self.quiet.exists():  # the harness stops feeding notes: finish with what is in
                return e.CancelPressed() if view.escrow is None else None
            return None
        if state is State.ARE_YOU_THERE:
            return e.ScreenTouched()
        return None


def ticker(robot: Robot, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        app = robot.app
        journal = app.journal if app is not None else None
        if journal is not None:
            try:
                unsent = journal.outbox_counts()["pending"]
            except Exception:  # the journal is closing
                continue
            print("TICK", robot.state, unsent, flush=True)


def main(config: Path) -> int:
    spec: dict[str, Any] = json.loads(config.read_text())
    crash = os.environ.get("KIOSK_CRASH", "")
    if crash:
        arm(crash)
    settings = validate(merge(defaults(), spec["settings"]))
    cards = os.environ.get("KIOSK_ROBOT") == "card"
    robot = Robot(random.Random(spec["seed"]), Path(spec["quiet"]), spec["account"], cards)
    app = KioskApp(settings, robot.show, time_scale=spec.get("time_scale", 0.2))
    robot.app = app
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    app.start()
    print("STARTED", os.getpid(), flush=True)
    threading.Thread(target=ticker, args=(robot, stopped), daemon=True).start()
    stopped.wait()
    app.stop()
    print("STOPPED", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
