"""The maintenance menu while the journal cannot be written (disk full, held by
another process): the kiosk is out of service and the flow is no longer fed,
yet the technician who comes to fix it needs the menu — to see why (devices,
disk), to export the logs and the journal, and to restart once the disk is
freed.

* Entering and leaving bypass the flow: the menu is shown straight away and
  taken away again (back to the out-of-service screen) on leaving or after the
  maintenance timeout, so a menu left open does not stay open to the public.
* What would be a ``maintenance`` record is kept in memory for the PIN lockout
  and logged at WARNING (a PIN never is): the audit trail survives in the log.
* Only functions that neither take money nor go through the flow are offered.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.maintenance.roles import Function, Role

log = logging.getLogger(__name__)
KEPT = 100  # audit records held in memory while the journal fails (bounded)
FUNCTIONS = frozenset(
    {Function.DIAGNOSTICS, Function.OUT_OF_SERVICE, Function.RESTART, Function.EXPORT}
)


@dataclass(frozen=True, slots=True)
class Record:
    """An audit record the journal could not take (the shape ``lock_state`` reads)."""

    data: dict[str, Any]


@dataclass
class Unjournaled:
    role: Role | None = None
    records: list[Record] = field(default_factory=list)  # newest first
    _timer: threading.Timer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def write(self, data: dict[str, Any]) -> None:
        with self._lock:
            self.records.insert(0, Record(data))
            del self.records[KEPT:]  # the lockout reads the latest few; the log keeps all
        log.warning("maintenance, not journaled (the journal cannot be written): %s", data)

    def enter(self, role: Role, timeout_s: float, on_timeout: Callable[[], object]) -> None:
        with self._lock:
            self.role = role
            self._restart_timer(timeout_s, on_timeout)

    def touched(self, timeout_s: float, on_timeout: Callable[[], object]) -> None:
        """The technician is still there: the timeout starts again."""
        with self._lock:
            if self.role is not None:
                self._restart_timer(timeout_s, on_timeout)

    def leave(self) -> Role | None:
        with self._lock:
            role, self.role = self.role, None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        return role

    def _restart_timer(self, timeout_s: float, on_timeout: Callable[[], object]) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(timeout_s, on_timeout)
        self._timer.daemon = True
        self._timer.start()
