"""Runs the pay flow on one thread and carries out its commands.

Every event, from any thread, goes through ``post``; the runner's thread
feeds it to ``PayFlow`` and executes the commands in order through its
routing table (``routes``): the runner's own are journal records, written
durably (``kiosk.journaling``), timers, which become ``threading.Timer``s that
post ``TimerFired``, and acceptor commands, which go to the driver; the app
routes the rest (screens, the server, the printer, the card reader), or
``services`` takes them all (tests and the console demo).

``post_credit`` is the credit path: its Event is set once the ``note_stacked``
record of that note is on disk — before the rest of the batch (a receipt may
follow) — so the acceptor can be acknowledged.

With ``dispatch`` the flow runs on the thread that ``dispatch`` hands work to
(the kiosk app passes the Qt bridge, so the flow and the screens share the
main thread); without it the runner owns a thread of its own. The execution
rules are the same either way.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from config.records import RecordKind
from drivers.acceptor import BillAcceptor
from kiosk.flow import PayFlow, Timer
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.journaling import write
from kiosk.shell.routing import Routes, command_types
from offline_queue.journal import Journal, JournalError

log = logging.getLogger(__name__)
TIMER_COMMANDS = frozenset({c.ArmTimer, c.CancelTimer})
ACCEPTOR_COMMANDS = frozenset({c.EnableAcceptor, c.DisableAcceptor, c.StackNote, c.ReturnNote})
RUNNER_COMMANDS: frozenset[type[c.Command]] = (
    frozenset({c.JournalRecord}) | TIMER_COMMANDS | ACCEPTOR_COMMANDS
)
Services = Callable[[c.Command], None]
Dispatch = Callable[[Callable[[], None]], None]  # runs a callable on the flow's owner thread


@dataclass
class _Item:
    event: e.Event
    durable: threading.Event | None = None  # set once a credit is on disk
    done: threading.Event = field(default_factory=threading.Event)


class FlowRunner:
    def __init__(
        self,
        flow: PayFlow,
        journal: Journal,
        *,
        acceptor: BillAcceptor | None = None,
        services: Services | None = None,
        observer: Services | None = None,
        time_scale: float = 1.0,
        dispatch: Dispatch | None = None,
        on_failure: Callable[[str], object] | None = None,
    ) -> None:
        self.flow = flow
        self.failure: str | None = None  # why the journal could not be written, if it failed
        self._on_failure = on_failure
        self.journal = journal
        self.acceptor = acceptor
        self.flow_thread: int | None = None  # the thread the flow last ran on
        self._current: _Item | None = None  # the item whose commands are running
        self.routes = Routes()
        self.routes.add(self._write, [c.JournalRecord])
        self.routes.add(self._timer, TIMER_COMMANDS)
        self.routes.add(self._to_acceptor, ACCEPTOR_COMMANDS)
        if services is not None:  # one executor for the rest (tests, the console demo)
            self.routes.add(services, command_types() - RUNNER_COMMANDS)
        self._observer = observer  # sees every command before it runs (the demo prints them)
        self._time_scale = time_scale  # the demo runs its timers faster
        self._dispatch = dispatch
        self._stopped = False
        self._inbox: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._timers: dict[Timer, threading.Timer] = {}
        self._thread = threading.Thread(target=self._run, name="flow", daemon=True)
        self._early: list[_Item] | None = []  # posted before start: held until the flow starts
        self._early_lock = threading.Lock()

    def start(self) -> None:
        """The flow's start comes first; what was posted before (a driver may credit
        a note found at power-up before the flow starts) follows in order."""
        with self._early_lock:
            early, self._early = self._early or [], None
            self._hand_over(_Item(_Start()))
            for item in early:
                self._hand_over(item)
        if self._dispatch is None:
            self._thread.start()

    def stop(self) -> None:
        self._stopped = True
        if self._dispatch is None and self._thread.ident is not None:  # it was started
            self._inbox.put(None)
            self._thread.join(timeout=5)
        for timer in self._timers.values():
            timer.cancel()

    def post(self, event: e.Event) -> threading.Event:
        """Queue ``event``; the returned Event is set once it has been handled."""
        item = _Item(event)
        self._submit(item)
        return item.done

    def call(self, work: Callable[[], object]) -> threading.Event:
        """Run ``work`` on the flow's thread, in order with the events (a device
        change from the maintenance menu); the Event is set once it ran. On the
        flow's thread itself it runs at once."""
        if threading.get_ident() == self.flow_thread:
            work()
            done = threading.Event()
            done.set()
            return done
        item = _Item(_Call(work))
        self._submit(item)
        return item.done

    def post_credit(self, event: e.NoteStacked) -> threading.Event:
        """Queue a stacked note; the returned Event is set once its credit is on disk."""
        durable = threading.Event()
        self._submit(_Item(event, durable=durable))
        return durable

    def _submit(self, item: _Item) -> None:
        with self._early_lock:
            if self._early is not None:
                self._early.append(item)
                return
        self._hand_over(item)

    def _hand_over(self, item: _Item) -> None:
        if self._dispatch is None:
            self._inbox.put(item)
        else:
            self._dispatch(lambda: self._handle(item))

    def _run(self) -> None:
        while (item := self._inbox.get()) is not None:
            self._handle(item)

    def _handle(self, item: _Item) -> None:
        self.flow_thread = threading.get_ident()
        if isinstance(item.event, _Call):  # not the flow's: runs even after a failure
            try:
                item.event.work()
            except Exception:
                log.exception("work on the flow's thread failed")
            finally:
                item.done.set()
            return
        if self._stopped and item.durable is None:
            item.done.set()
            return
        if self.failure is not None:  # the flow is not fed again: it would run on without
            item.done.set()  # its records; a stacked note stays un-ACKed for the restart
            return
        try:
            if isinstance(item.event, _Start):
                commands = self.flow.start()
            else:
                commands = self.flow.handle(item.event)
            for command in commands:
                self._execute(command, item)
        except JournalError as exc:
            self._journal_failed(exc)
        except Exception:
            log.exception("the flow failed on %r", item.event)
            try:
                self._keep_the_credit(item)
            except JournalError as exc:
                self._journal_failed(exc)
        finally:
            item.done.set()

    def _journal_failed(self, exc: JournalError) -> None:
        """The journal cannot be written (disk full, database locked too long, a
        broken disk): take no money that could not be recorded. A note in escrow
        goes back, the acceptor stops taking notes, and a stacked note stays
        un-ACKed (the device holds it at VEND VALID: the restart credits it).
        The shell is told once: it shows the kiosk out of service."""
        first = self.failure is None
        self.failure = str(exc)
        log.critical("the journal cannot be written: %s", exc)
        if self.acceptor is not None:
            self.acceptor.return_note()
            self.acceptor.disable()
        if first and self._on_failure is not None:
            self._on_failure(self.failure)

    def _keep_the_credit(self, item: _Item) -> None:
        """A stacked note whose handling failed is still journaled: money is never dropped."""
        event = item.event
        if item.durable is None or item.durable.is_set() or not isinstance(event, e.NoteStacked):
            return
        data: dict[str, c.JsonValue] = {
            "value": event.value.to_json(),
            "credit_id": event.credit_id,
        }
        write(self.journal, c.JournalRecord(RecordKind.NOTE_STACKED, None, data))
        item.durable.set()

    def _execute(self, command: c.Command, item: _Item) -> None:
        if self._observer is not None:
            self._observer(command)
        self._current = item
        self.routes.execute(command)

    def _write(self, command: c.Command) -> None:
        """A journal record, durable before the next command; a stacked note's
        credit releases the acceptor's ACK."""
        assert isinstance(command, c.JournalRecord)
        write(self.journal, command)
        durable = self._current.durable if self._current is not None else None
        if command.kind is RecordKind.NOTE_STACKED and durable is not None:
            durable.set()

    def _timer(self, command: c.Command) -> None:
        if isinstance(command, c.ArmTimer):
            self._arm(command)
            return
        assert isinstance(command, c.CancelTimer)
        timer = self._timers.pop(command.timer, None)
        if timer is not None:
            timer.cancel()

    def _to_acceptor(self, command: c.Command) -> None:
        acceptor = self.acceptor
        if acceptor is None:
            if isinstance(command, c.EnableAcceptor):
                log.error("the flow asked for notes, but this kiosk has no bill acceptor")
            return
        if isinstance(command, c.EnableAcceptor):
            notes = frozenset(m.minor for m in command.denominations if m <= command.limit)
            acceptor.enable(notes)
        elif isinstance(command, c.DisableAcceptor):
            acceptor.disable()
        elif isinstance(command, c.StackNote):
            acceptor.stack()
        else:
            assert isinstance(command, c.ReturnNote)
            acceptor.return_note()

    def _arm(self, command: c.ArmTimer) -> None:
        old = self._timers.pop(command.timer, None)
        if old is not None:
            old.cancel()
        fired = e.TimerFired(command.timer, command.token)
        timer = threading.Timer(command.seconds * self._time_scale, self.post, (fired,))
        timer.daemon = True
        self._timers[command.timer] = timer
        timer.start()


class _Start(e.Event):
    """Internal: show the first screen."""

    __slots__ = ()


class _Call(e.Event):
    """Internal: work the shell runs on the flow's thread."""

    __slots__ = ("work",)

    def __init__(self, work: Callable[[], object]) -> None:
        self.work = work
