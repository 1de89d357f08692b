"""Card and QR handlers: approvals, declines, polling, cancelling.

An approval or a payment that arrives after its session gave up is voided or
refunded to its source, and journaled as a transaction.
"""

from __future__ import annotations

from config.records import RecordKind
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow.core import FlowCore
from kiosk.flow.states import ENDED_STATES, GivenBack, Notice, Outcome, State, Timer


class ElectronicHandlers(FlowCore):
    """What the flow does with card and QR answers."""

    # -- card ---------------------------------------------------------------
    def _on_card_approved(self, event: e.CardApproved) -> None:
        s = self.session
        if self.state is State.CARD_PAYING and s and s.card_reference == event.reference:
            details: dict[str, c.JsonValue] = {
                "reference": event.reference,
                "masked_pan": event.masked_pan,
                "auth_code": event.auth_code,
            }
            self._journal(RecordKind.CARD_AUTHORIZED, details | self._context())
            assert s.amount is not None
            self._applied.append(event.reference)
            self._complete(s.amount, details)
            return
        if event.reference in self._applied:
            return  # the same approval again: it paid the bill
        # Approved after its session gave up: void it, and say so in the journal.
        self._reverse(event.reference, "late_approval")
        self._tell(event.reference, GivenBack.REVERSED)

    def _on_card_declined(self, _: e.CardDeclined) -> None:
        if self.state is State.CARD_PAYING:
            self._enter(State.CHOOSE_METHOD, Notice.CARD_DECLINED)

    def _on_card_failed(self, _: e.CardFailed) -> None:
        if self.state is State.CARD_PAYING:
            self._enter(State.CHOOSE_METHOD, Notice.CARD_FAILED)

    def _on_card_unanswered(self, event: e.CardUnanswered) -> None:
        """The acquirer may have approved what it never answered: reverse it (冲正)
        before the customer is offered another way to pay. An approval already
        applied stands: it paid the bill, and reversing it would give the money
        back for a bill marked paid."""
        if event.reference in self._applied:
            return
        self._reverse(event.reference, "no_answer")
        s = self.session
        if self.state is State.CARD_PAYING and s and s.card_reference == event.reference:
            self._enter(State.CHOOSE_METHOD, Notice.CARD_NO_ANSWER)

    def _on_given_back(self, event: e.GivenBack) -> None:
        """The server carried out a refund or reversal: the last screen says so."""
        told = {"refunded": GivenBack.REFUNDED, "refunding": GivenBack.REFUNDING,
                "reversed": GivenBack.REVERSED, "declined": GivenBack.REVERSED}  # fmt: skip
        if event.status in told:
            self._tell(event.reference, told[event.status])

    def _tell(self, reference: str, what: GivenBack) -> None:
        """Late money of this session's, while its last screen shows: say what
        became of it (a later session's screen is not touched)."""
        s = self.session
        if s is None or reference not in (s.qr_order, s.card_reference):
            return
        if s.given_back is GivenBack.REFUNDED and what is GivenBack.REFUNDING:
            return  # the refund's answer came first
        s.given_back = what
        if self.state in ENDED_STATES:
            self._show(self._notice)

    # -- QR -----------------------------------------------------------------
    def _on_qr_created(self, event: e.QrOrderCreated) -> None:
        s = self.session
        if self.state is State.QR_WAITING and s and s.qr_order is None:
            s.qr_order, s.qr_url = event.order_id, event.url
            self._journal(
                RecordKind.QR_ORDER_CREATED, {"order_id": event.order_id, **self._context()}
            )
            self._show()
            self._arm(Timer.QR_POLL, self._settings.timeouts.qr_poll)
        elif s is None or s.qr_order != event.order_id:
            self._emit(c.CancelQrOrder(event.order_id))

    def _on_qr_failed(self, _: e.QrOrderFailed) -> None:
        if self.state is State.QR_WAITING and self.session and self.session.qr_order is None:
            self._enter(State.CHOOSE_METHOD, Notice.QR_FAILED)

    def _on_qr_pending(self, event: e.QrPending) -> None:
        s = self.session
        if self.state is State.QR_WAITING and s and s.qr_order == event.order_id:
            self._arm(Timer.QR_POLL, self._settings.timeouts.qr_poll)

    def _on_qr_paid(self, event: e.QrPaid) -> None:
        s = self.session
        waiting = self.state in (State.QR_WAITING, State.QR_CANCELLING)
        if waiting and s and s.qr_order == event.order_id and s.amount is not None:
            self._journal(RecordKind.QR_PAID, {"order_id": event.order_id, **self._context()})
            self._applied.append(event.order_id)
            self._complete(s.amount, {"order_id": event.order_id})
            return
        if event.order_id in self._applied:
            return  # a second "paid" for the order that paid the bill: nothing is late
        if event.order_id in self._given_back:
            return  # a second late answer for the same order: refunded once
        self._given_back.append(event.order_id)
        self._journal(
            RecordKind.QR_REFUND,
            {"order_id": event.order_id, "reason": "late_payment"},
            self._new_id(),
        )
        self._emit(c.RefundQrOrder(event.order_id))
        self._tell(event.order_id, GivenBack.REFUNDING)

    def _on_qr_cancelled(self, event: e.QrCancelled) -> None:
        s = self.session
        if self.state is State.QR_CANCELLING and s and s.qr_order == event.order_id:
            self._close(s.outcome or Outcome.CANCELLED)
            self._enter(State.CANCELLED)

    def _give_up_qr(self, outcome: Outcome) -> None:
        s = self.session
        assert s is not None
        if s.qr_order is None:
            self._end(outcome)
            return
        s.outcome = outcome
        self._emit(c.CancelQrOrder(s.qr_order))
        self._enter(State.QR_CANCELLING)
