"""Device trials for the maintenance menu's connection settings, and the
technician's out-of-service switch as the journal remembers it.

A trial builds the device from the new settings, asks it something, and lets
it go: a printer must answer a status query with a state it can print in, an
acceptor must come up ready, a card reader must be listed by PC/SC.
"""

from __future__ import annotations

import threading

from config.settings import AcceptorSection, CardReaderSection, PrinterSection
from drivers import acceptor as ev
from drivers.cards.reader import reader_names
from kiosk.shell.devices import build_acceptor
from kiosk.shell.printing import build_printer
from offline_queue.journal import Journal

ACCEPTOR_READY_S = 8.0


def try_printer(section: PrinterSection) -> str | None:
    printer = build_printer(section)
    try:
        status = printer.printer.status()
    finally:
        printer.stop()
    if not status.health.can_print:
        return f"answers {status.health.value}"
    return None


def try_reader(section: CardReaderSection) -> str | None:
    if not section.enabled:
        return None
    try:
        names = reader_names()
    except Exception as exc:  # pcscd not running, pyscard missing
        return f"PC/SC is not available: {type(exc).__name__}"
    if not any(name.startswith(section.reader) for name in names):
        listed = "; ".join(names) or "none"
        return f"no reader named {section.reader!r}* (readers: {listed})"
    return None


def try_acceptor(section: AcceptorSection, journal: Journal) -> str | None:
    if section.protocol == "none":
        return None
    ready = threading.Event()
    seen: list[str] = []

    def listen(event: ev.AcceptorEvent) -> None:
        seen.append(type(event).__name__)
        if isinstance(event, ev.Ready):
            ready.set()

    def refuse(_: ev.Stacked) -> bool:
        return False  # the trial never enables the acceptor: no note can be taken

    try:
        trial = build_acceptor(section, listen, refuse, journal)
    except Exception as exc:  # the port does not open
        return f"cannot open {section.port}: {type(exc).__name__}: {exc}"
    assert trial is not None
    try:
        if not ready.wait(ACCEPTOR_READY_S):
            heard = ", ".join(dict.fromkeys(seen)) or "nothing"
            return f"not ready within {ACCEPTOR_READY_S:g} s (heard: {heard})"
    finally:
        trial.stop()
    return None
