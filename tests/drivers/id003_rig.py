"""The real ID-003 driver against the simulator on a pseudo-terminal."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from drivers import acceptor as ev
from drivers.id003.driver import Id003Driver
from drivers.sim.id003_device import Id003Device
from drivers.sim.pty import PtyServer

E = TypeVar("E", bound=ev.AcceptorEvent)
NOTES = frozenset({100, 500, 1000, 2000, 5000, 10000})


class Rig:
    def __init__(self, device: Id003Device, server: PtyServer) -> None:
        self.device = device
        self.server = server
        self.events: queue.Queue[ev.AcceptorEvent] = queue.Queue()
        self.seen: list[ev.AcceptorEvent] = []
        self.credits: list[ev.Stacked] = []
        self.accept_credit = True
        self.lock = threading.Lock()
        self.driver: Id003Driver | None = None

    def credit(self, event: ev.Stacked) -> bool:
        with self.lock:
            self.credits.append(event)
            return self.accept_credit

    def start_driver(self, **kwargs: float) -> Id003Driver:
        self.driver = Id003Driver(
            self.server.path,
            self.events.put,
            self.credit,
            poll_interval_s=kwargs.get("poll_interval_s", 0.02),
            reply_timeout_s=kwargs.get("reply_timeout_s", 0.1),
        )
        self.driver.start()
        return self.driver

    def wait_for(
        self, kind: type[E], timeout: float = 5.0, where: Callable[[E], bool] | None = None
    ) -> E:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.05)
            except queue.Empty:
                continue
            self.seen.append(event)
            if isinstance(event, kind) and (where is None or where(event)):
                return event
        raise AssertionError(f"no {kind.__name__} within {timeout} s; saw {self.seen}")

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.01)
        raise AssertionError("condition not met in time")

    def ready(self) -> ev.Ready:
        return self.wait_for(ev.Ready)

    def insert(self, major: int) -> ev.Escrowed:
        self.device.insert(major)
        return self.wait_for(ev.Escrowed)


@contextmanager
def rig(device: Id003Device | None = None, *, driver: bool = True) -> Iterator[Rig]:
    device = device or Id003Device()
    with PtyServer(device) as server:
        r = Rig(device, server)
        try:
            if driver:
                r.start_driver()
            yield r
        finally:
            if r.driver is not None:
                r.driver.stop()
