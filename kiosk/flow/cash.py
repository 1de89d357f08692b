"""Cash handlers: escrow rules, credit only when stacked, finishing early.

A note is stacked only if it is an accepted denomination and keeps the session
within its cash limit; otherwise it is returned. Credit counts when the
acceptor reports the note stacked, in any state, and the ``note_stacked``
record is the first command given for it.
"""

from __future__ import annotations

from config.choices import PaymentMethod
from config.records import RecordKind
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow.core import FlowCore
from kiosk.flow.session import Session
from kiosk.flow.states import Notice, Outcome, State
from kiosk.money import Money


class CashHandlers(FlowCore):
    """What the flow does with the bill acceptor's events."""

    def _cash_limit(self, s: Session) -> Money:
        """The most cash this session may hold in total."""
        assert s.amount is not None
        cap = self._money(self._settings.cash.max_session_fen)
        return cap.min(s.amount + self._money(self._settings.cash.max_overpay_fen))

    def _enable_acceptor(self) -> None:
        s = self.session
        assert s is not None
        notes = frozenset(self._money(d) for d in self._settings.cash.denominations_fen)
        s.acceptor_on = True
        self._emit(c.EnableAcceptor(notes, self._cash_limit(s) - s.paid))

    def _taking_cash(self) -> bool:
        resuming_cash = self.state is State.ARE_YOU_THERE and self._resume is State.CASH_INSERTING
        return self.state is State.CASH_INSERTING or resuming_cash

    def _on_escrowed(self, event: e.NoteEscrowed) -> None:
        s, value = self.session, event.value
        if not self._taking_cash() or s is None or s.escrow is not None:
            why = "acceptor_test" if self._acceptor_test else "idle"
            self._journal(RecordKind.NOTE_RETURNED, {"value": value.to_json(), "why": why})
            self._emit(c.ReturnNote(value))
            return
        accepted = value.currency == self._currency and (
            value.minor in self._settings.cash.denominations_fen
        )
        if not accepted or s.paid + value > self._cash_limit(s):
            why = "not_accepted" if not accepted else "over_limit"
            self._journal(RecordKind.NOTE_RETURNED, {"value": value.to_json(), "why": why})
            self._emit(c.ReturnNote(value))
            self._show(Notice.NOTE_NOT_ACCEPTED if not accepted else Notice.NOTE_OVER_LIMIT)
            return
        s.escrow = value
        self._journal(RecordKind.NOTE_ESCROWED, {"value": value.to_json()})
        self._emit(c.StackNote(value))
        self._show()

    def _on_stacked(self, event: e.NoteStacked) -> None:
        """Credit first, always, whatever the state."""
        s = self.session
        if s is None:
            s = self._open()  # a note with no session at all still gets a voucher
        record: dict[str, c.JsonValue] = {"value": event.value.to_json(), **self._context()}
        if event.credit_id is not None:
            record["credit_id"] = event.credit_id
        self._journal(RecordKind.NOTE_STACKED, record)
        s.paid = s.paid + event.value
        s.escrow = None
        if not self._taking_cash() or s.closed:
            self._settle_credit("late_note")
            if not self._in_session():
                self._close(Outcome.CANCELLED)
            if self.state in (State.CANCELLED, State.TIMED_OUT):
                self._show(self._notice)
            return
        assert s.amount is not None
        # Only cash no record has accounted for pays: a note credited earlier in the
        # session (stacked while no cash was asked for) is already the customer's.
        if s.unsettled >= s.amount:
            self._complete(s.amount, {})
            return
        if s.acceptor_on:
            self._enable_acceptor()  # a smaller limit: the acceptor can refuse larger notes
        self._show()

    def _on_returned(self, event: e.NoteReturned) -> None:
        s = self.session
        if s is not None and s.escrow is not None:
            value = event.value or s.escrow
            s.escrow = None
            self._journal(RecordKind.NOTE_RETURNED, {"value": value.to_json(), "why": "device"})
            if self._taking_cash():
                self._show()

    def _on_rejected(self, _: e.NoteRejected) -> None:
        if self.state is State.CASH_INSERTING:
            self._show(Notice.NOTE_REJECTED)

    def _on_acceptor_failed(self, event: e.AcceptorFailed) -> None:
        self._available = self._available - {PaymentMethod.CASH}
        s = self.session
        self._journal(
            RecordKind.ACCEPTOR_FAULT,
            {
                "reason": event.reason,
                "escrow": s.escrow.to_json() if s and s.escrow and not s.closed else None,
            },
        )
        if self._taking_cash():
            assert s is not None
            self._end(Outcome.DEVICE_FAULT, Notice.ACCEPTOR_FAULT)

    def _on_acceptor_restored(self, _: e.AcceptorRestored) -> None:
        self._available = self._available | {PaymentMethod.CASH}
        if self.state is State.CHOOSE_METHOD:
            self._show(self._notice)

    def _on_finish(self, _: e.CashFinishPressed) -> None:
        s = self.session
        if self.state is not State.CASH_INSERTING or s is None or s.amount is None:
            return
        assert s.config is not None
        partial_ok = s.config.allow_partial or s.is_purchase
        cash = s.unsettled
        if s.escrow is None and partial_ok and cash >= self._money(s.config.min_payment_fen):
            self._complete(cash.min(s.amount), {"partial": cash < s.amount})
        else:
            self._show(Notice.INSERT_MORE)
