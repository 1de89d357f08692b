"""Each device's state, last error and counters, for the maintenance menu.

The parts that own a device (the acceptor link, the printer service, the card
service) report here from their own threads; the menu reads a snapshot. These
are diagnostics only: money is counted from the journal, never from here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class DeviceReport:
    state: str
    last_error: str | None
    last_error_at: str | None
    counters: dict[str, int]
    last_event: str | None


@dataclass
class _Device:
    state: str = "unknown"
    last_error: str | None = None
    last_error_at: str | None = None
    last_event: str | None = None
    counters: dict[str, int] = field(default_factory=dict)


class DeviceHealth:
    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._devices: dict[str, _Device] = {}

    def _device(self, name: str) -> _Device:
        return self._devices.setdefault(name, _Device())

    def state(self, device: str, state: str) -> None:
        with self._lock:
            self._device(device).state = state

    def error(self, device: str, text: str) -> None:
        with self._lock:
            d = self._device(device)
            d.last_error = text
            d.last_error_at = self._clock().isoformat(timespec="seconds")
            d.counters["errors"] = d.counters.get("errors", 0) + 1

    def count(self, device: str, counter: str, event: str | None = None) -> None:
        with self._lock:
            d = self._device(device)
            d.counters[counter] = d.counters.get(counter, 0) + 1
            if event is not None:
                d.last_event = event

    def snapshot(self) -> dict[str, DeviceReport]:
        with self._lock:
            return {
                name: DeviceReport(
                    d.state, d.last_error, d.last_error_at, dict(d.counters), d.last_event
                )
                for name, d in self._devices.items()
            }
