"""Between a bill-acceptor driver and the pay flow.

* Driver events become flow events (escrow, return, rejects, faults).
* The credit sink: a stacked note is posted to the flow, and the sink returns
  ``True`` — letting the driver acknowledge the device — only once the flow's
  ``note_stacked`` record is on disk. A credit offered again (the device was
  not acknowledged in time) is never posted twice: it waits on the first post.
* A note found in the stacker at power-up is reconciled with the journal: if
  the newest note record is an escrow that was neither credited nor returned,
  that note went into the cashbox uncredited and is credited now; otherwise it
  is the note already credited before a restart (nothing doubled), or a note
  the journal does not know, which is recorded for the cash collector. The
  driver resets the device only after that credit is on disk (the crash
  harness found a kill between the reset and the credit losing the note).
"""

from __future__ import annotations

import logging
import threading

from config.records import RecordKind
from drivers import acceptor as ev
from kiosk.flow import events as e
from kiosk.flow.commands import JournalRecord
from kiosk.journaling import write
from kiosk.money import Money
from kiosk.shell.health import DeviceHealth
from kiosk.shell.recent import Recent
from kiosk.shell.runner import FlowRunner
from offline_queue.journal import Journal

log = logging.getLogger(__name__)
DEVICE = "acceptor"
RECONCILE_WAIT_S = 30.0
CREDITS_KEPT = 256
NOTE_RECORDS = (
    RecordKind.NOTE_ESCROWED.value,
    RecordKind.NOTE_STACKED.value,
    RecordKind.NOTE_RETURNED.value,
)


class AcceptorLink:
    def __init__(
        self,
        runner: FlowRunner,
        journal: Journal,
        *,
        credit_timeout_s: float = 2.0,
        health: DeviceHealth | None = None,
    ) -> None:
        self._runner = runner
        self._health = health or DeviceHealth()
        self._journal = journal
        self._timeout = credit_timeout_s
        self._lock = threading.Lock()
        # A credit the driver offers again (its ACK was lost) gets the same answer;
        # only the last few are remembered: a re-offer comes within seconds.
        self._credits: Recent[str, threading.Event] = Recent(CREDITS_KEPT)

    # -- the credit sink (driver thread) ------------------------------------
    def credit(self, stacked: ev.Stacked) -> bool:
        with self._lock:
            durable = self._credits.get(stacked.credit_id)
            if durable is None:
                note = e.NoteStacked(Money(stacked.minor, stacked.currency), stacked.credit_id)
                durable = self._runner.post_credit(note)
                self._credits.put(stacked.credit_id, durable)
                self._health.count(DEVICE, "stacked", f"stacked {note.value.format()}")
        return durable.wait(self._timeout)

    # -- the listener (driver thread) ---------------------------------------
    def on_event(self, event: ev.AcceptorEvent) -> None:
        self._track(event)
        post = self._runner.post
        if isinstance(event, ev.Escrowed):
            post(e.NoteEscrowed(Money(event.minor, event.currency)))
        elif isinstance(event, ev.Returned):
            post(e.NoteReturned(None))
        elif isinstance(event, ev.Rejected):
            post(e.NoteRejected(event.reason))
        elif isinstance(event, ev.Paused):
            post(e.NoteRejected("a second note was inserted"))
        elif isinstance(event, ev.PoweredUpWithNote):
            self._reconcile(event.where)
        elif isinstance(event, ev.Ready | ev.FaultCleared | ev.CashboxRestored | ev.Reconnected):
            post(e.AcceptorRestored())
        elif isinstance(event, _FAULTS):
            post(e.AcceptorFailed(_describe(event)))
        else:
            log.info("acceptor: %s", event)

    def _track(self, event: ev.AcceptorEvent) -> None:
        """State, last error and counters for the maintenance menu."""
        health = self._health
        if isinstance(event, ev.Ready):
            health.state(DEVICE, f"ready: {event.info.model} {event.info.firmware}".strip())
        elif isinstance(event, ev.Escrowed):
            health.count(DEVICE, "escrowed", f"escrowed {Money(event.minor, event.currency)}")
        elif isinstance(event, ev.Returned):
            health.count(DEVICE, "returned", "note returned")
        elif isinstance(event, ev.Rejected):
            health.count(DEVICE, "rejected", f"rejected: {event.reason}")
        elif isinstance(event, _FAULTS):
            health.state(DEVICE, "fault")
            health.error(DEVICE, _describe(event))
        elif isinstance(event, ev.FaultCleared | ev.CashboxRestored | ev.Reconnected):
            health.state(DEVICE, "ready")

    def _reconcile(self, where: ev.Where) -> None:
        latest = self._journal.latest(NOTE_RECORDS, limit=1)
        escrowed = latest[0] if latest and latest[0].kind == NOTE_RECORDS[0] else None
        if where is ev.Where.ACCEPTOR:
            if escrowed is not None:
                self._runner.post(e.NoteReturned(Money.from_json(escrowed.data["value"])))
            return
        if escrowed is not None:
            value = Money.from_json(escrowed.data["value"])
            log.warning("a note of %s went into the stacker uncredited: crediting it", value)
            durable = self._runner.post_credit(e.NoteStacked(value, f"power-up-{escrowed.seq}"))
            # The driver resets the device once this returns, and after the reset
            # nothing shows that a note went in: the credit must be on disk first,
            # however long that takes (a journal that cannot be written: never).
            while not durable.wait(RECONCILE_WAIT_S):
                log.error("the power-up credit of %s is not journaled yet: not resetting", value)
            return
        known = latest[0].data.get("credit_id") if latest else None
        reason = (
            f"note in the stacker at power-up: the credit {known} was journaled before the restart"
            if latest and latest[0].kind == NOTE_RECORDS[1]
            else "note in the stacker at power-up that the journal does not know: count it"
        )
        write(self._journal, JournalRecord(RecordKind.ACCEPTOR_FAULT, None, {"reason": reason}))


_FAULTS = (
    ev.Jammed,
    ev.CashboxFull,
    ev.CashboxRemoved,
    ev.CheatDetected,
    ev.Failed,
    ev.Disconnected,
)


def _describe(event: ev.AcceptorEvent) -> str:
    if isinstance(event, ev.Jammed):
        return f"jam in {event.where.value}"
    if isinstance(event, ev.Failed):
        code = event.code
        return f"failure {code:#04x}: {event.description}" if code else event.description
    if isinstance(event, ev.Disconnected):
        return f"disconnected: {event.reason}"
    if isinstance(event, ev.CheatDetected):
        return f"cheat detected: {event.detail}"
    return {ev.CashboxFull: "cashbox full", ev.CashboxRemoved: "cashbox removed"}[type(event)]
