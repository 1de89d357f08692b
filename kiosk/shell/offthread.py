"""The one way to run slow work off the flow's (the Qt main) thread.

``run_off_thread(work, done)`` runs ``work`` on a short-lived thread and hands
``done`` its result — or, when ``work`` raised, a ``Failed`` that says why
(the traceback goes to the log). ``done`` is always called exactly once, so a
page that said "Testing the devices…" always gets an answer to show, and the
technician can go on. Callers that touch widgets wrap ``done`` so that it runs
on the main thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Failed:
    """Work that raised instead of answering."""

    reason: str

    def __str__(self) -> str:
        return self.reason


def run_off_thread(
    work: Callable[[], T], done: Callable[[T | Failed], object], name: str = "helper"
) -> threading.Thread:
    def run() -> None:
        result: T | Failed
        try:
            result = work()
        except Exception as exc:
            log.exception("%s work failed", name)
            result = Failed(f"{type(exc).__name__}: {exc}")
        try:
            done(result)
        except Exception:
            log.exception("%s answer failed", name)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
