"""The pay flow: a sans-I/O state machine.

Rules:

* ``handle(event)`` returns the commands the shell must run, in order; the flow
  reads no clock, does no I/O and starts no thread. Time arrives as
  ``TimerFired`` events carrying the token of the ``ArmTimer`` that asked for
  them; a stale token is ignored.
* Every state arms a timeout on entry (``config.settings.Timeouts``).
* Moves follow ``transitions.TRANSITIONS``; anything else is a bug and raises.
* A touch that the current state does not take is stale (it raced a timeout)
  and is ignored. Money events — a stacked note, an approved card, a paid QR
  order — are handled in *every* state: money is never dropped.
* Cash credit counts only when the acceptor reports the note stacked, and is
  journaled before anything else happens; a note in escrow is never credit.
* Every stacked note ends in exactly one settlement record (see
  ``settlement``): part of a completed payment, an account credit or a voucher.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

from config.fees.tiered import TieredTariff
from config.settings import IdentifyMethod, PaymentMethod, RefundTarget, Settings
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow.records import RecordKind
from kiosk.flow.session import Session
from kiosk.flow.settlement import credit_settled, payment_completed
from kiosk.flow.states import INPUT_STATES, SESSION_STATES, Notice, Outcome, State, Timer
from kiosk.flow.transitions import allowed
from kiosk.flow.view import View
from kiosk.money import Money

# ASCII: \d must not match full-width or other Unicode digits.
PHONE = re.compile(r"1[3-9]\d{9}", re.ASCII)
CODE = re.compile(r"\d{6}", re.ASCII)
_TIMEOUT_NAME = {State.TIMED_OUT: "cancelled"}
_CUSTOMER_FACING = SESSION_STATES | {State.DONE, State.CANCELLED, State.TIMED_OUT}


class PayFlow:
    """One kiosk's pay flow. Not thread-safe: feed it from one thread."""

    def __init__(self, settings: Settings, new_id: Callable[[], UUID] = uuid4) -> None:
        self._settings = settings
        self._new_id = new_id
        self._currency = settings.kiosk.currency
        self.state = State.ATTRACT
        self.session: Session | None = None
        self._out: list[c.Command] = []
        self._tokens: dict[Timer, int] = {}
        self._next_token = 0
        self._available = frozenset(PaymentMethod)
        self._out_of_service: str | None = None
        self._accessible = False
        self._resume: State | None = None
        self._notice: Notice | None = None

    # -- public -------------------------------------------------------------
    def start(self) -> list[c.Command]:
        """The commands that show the first screen."""
        self._out = []
        self._enter(State.OUT_OF_SERVICE if self._out_of_service else State.ATTRACT)
        return self._take()

    def handle(self, event: e.Event) -> list[c.Command]:
        self._out = []
        handler = _HANDLERS.get(type(event))
        if handler is None:
            raise TypeError(f"not a flow event: {event!r}")
        handler(self, event)
        return self._take()

    def view(self) -> View:
        s = self.session if self.state not in (State.ATTRACT, State.MAINTENANCE) else None
        return View(
            state=self.state,
            notice=self._notice,
            service=s.service if s else None,
            account=s.account if s else None,
            bill=s.bill if s else None,
            amount=s.amount if s else None,
            paid=s.paid if s and (s.acceptor_on or s.paid) else None,
            escrow=s.escrow if s else None,
            method=s.method if s else None,
            methods=self.offered_methods(),
            qr_url=s.qr_url if s else None,
            timeout_s=self._timeout(self.state),
            outcome=s.outcome if s else None,
            credited=s.credited if s else None,
            credited_to=s.credited_to if s else None,
            out_of_service=self._out_of_service,
            accessible=self._accessible,
        )

    def offered_methods(self) -> tuple[PaymentMethod, ...]:
        s = self.session
        if s is None or s.config is None:
            return ()
        return tuple(m for m in s.config.methods if m in self._available)

    # -- plumbing -----------------------------------------------------------
    def _take(self) -> list[c.Command]:
        out, self._out = self._out, []
        return out

    def _emit(self, *commands: c.Command) -> None:
        self._out.extend(commands)

    def _timeout(self, state: State) -> int:
        name = _TIMEOUT_NAME.get(state, state.value)
        seconds: int = getattr(self._settings.timeouts, name)
        if self._accessible and state in _CUSTOMER_FACING:
            seconds *= self._settings.timeouts.accessibility_factor
        return seconds

    def _arm(self, timer: Timer, seconds: int) -> None:
        self._next_token += 1
        self._tokens[timer] = self._next_token
        self._emit(c.ArmTimer(timer, seconds, self._next_token))

    def _show(self, notice: Notice | None = None) -> None:
        self._notice = notice
        self._emit(c.Show(self.view()))

    def _enter(self, state: State, notice: Notice | None = None) -> None:
        if state is not self.state and not allowed(self.state, state):
            raise AssertionError(f"no transition {self.state.value} -> {state.value}")
        if self.state is State.QR_WAITING and state is not State.QR_WAITING:
            self._tokens.pop(Timer.QR_POLL, None)
            self._emit(c.CancelTimer(Timer.QR_POLL))
        if state is not State.ARE_YOU_THERE:
            self._resume = None
        self.state = state
        self._arm(Timer.STATE, self._timeout(state))
        self._show(notice)

    def _journal(
        self, kind: RecordKind, data: dict[str, c.JsonValue], transaction: UUID | None = None
    ) -> None:
        session = self.session.id if self.session else None
        self._emit(c.JournalRecord(kind, session, data, transaction))

    def _context(self) -> dict[str, c.JsonValue]:
        s = self.session
        if s is None:
            return {}
        return {
            "service": s.service,
            "account": s.account,
            "refund_to": s.refund_to.value,
            "amount": s.amount.to_json() if s.amount else None,
            "method": s.method.value if s.method else None,
        }

    def _money(self, minor: int) -> Money:
        return Money(minor, self._currency)

    # -- session lifecycle --------------------------------------------------
    def _open(self) -> Session:
        self.session = Session(self._new_id(), self._currency)
        self._journal(RecordKind.SESSION_OPENED, {"kiosk": self._settings.kiosk.id})
        return self.session

    def _choose_service(self, session: Session, service: str) -> bool:
        config = self._settings.services.get(service)
        if config is None or not config.enabled:
            return False
        session.service, session.config = service, config
        return True

    def _in_session(self) -> bool:
        return self.state in SESSION_STATES or self.state in (
            State.CHOOSE_METHOD,
            State.QR_CANCELLING,
            State.COMPLETING,
        )

    def _after_session(self) -> State:
        return State.OUT_OF_SERVICE if self._out_of_service else State.ATTRACT

    def _close(self, outcome: Outcome) -> None:
        s = self.session
        if s is None or s.closed:
            return
        s.outcome = outcome
        s.closed = True
        self._journal(RecordKind.SESSION_CLOSED, {"outcome": outcome.value})

    def _settle_credit(self, reason: str) -> None:
        """Cash not yet accounted for goes to the account or onto a voucher."""
        s = self.session
        if s is None or not s.unsettled.is_positive():
            return
        amount, target, transaction = s.unsettled, s.refund_to, self._new_id()
        self._emit(
            credit_settled(
                s.id,
                transaction,
                service=s.service,
                account=s.account,
                amount=amount,
                to=target,
                reason=reason,
            )
        )
        s.settled = s.paid
        s.credited = amount if s.credited is None else s.credited + amount
        s.credited_to = target
        if target is RefundTarget.VOUCHER:
            self._emit(c.PrintVoucher(transaction, amount))

    def _disable_acceptor(self) -> None:
        if self.session and self.session.acceptor_on:
            self.session.acceptor_on = False
            self._emit(c.DisableAcceptor())

    def _end(self, outcome: Outcome, notice: Notice | None = None) -> None:
        """End a session that did not pay: release devices, settle cash, close."""
        s = self.session
        assert s is not None
        self._disable_acceptor()
        if s.card_reference is not None and self.state is State.CARD_PAYING:
            self._journal(
                RecordKind.CARD_REVERSAL,
                {"reference": s.card_reference, "reason": outcome.value},
                self._new_id(),
            )
            self._emit(c.CancelCardPayment(s.card_reference))
        self._settle_credit(outcome.value)
        self._close(outcome)
        target = State.TIMED_OUT if outcome is Outcome.TIMED_OUT else State.CANCELLED
        self._enter(target, notice)

    def _complete(self, amount: Money, details: dict[str, c.JsonValue]) -> None:
        s = self.session
        assert s is not None and s.method is not None
        self._disable_acceptor()
        transaction = self._new_id()
        tendered = s.unsettled if s.method is PaymentMethod.CASH else amount
        units = self._purchase_units(s, amount)
        if units is not None:
            details = details | {"units": units}
        self._emit(
            payment_completed(
                s.id,
                transaction,
                service=s.service,
                account=s.account,
                method=s.method,
                amount=amount,
                tendered=tendered,
                excess_to=s.refund_to,
                details=details,
            )
        )
        excess = tendered - amount
        if s.method is PaymentMethod.CASH:
            s.settled = s.paid
        if excess.is_positive():
            s.credited, s.credited_to = excess, s.refund_to
        self._enter(State.COMPLETING)
        self._emit(c.PrintReceipt(transaction))
        if excess.is_positive() and s.refund_to is RefundTarget.VOUCHER:
            self._emit(c.PrintVoucher(transaction, excess))
        s.outcome = Outcome.PAID

    def _purchase_units(self, s: Session, amount: Money) -> str | None:
        if not s.is_purchase or s.config is None or s.config.tariff is None or s.bill is None:
            return None
        tariff = self._settings.tariffs[s.config.tariff].build()
        if not isinstance(tariff, TieredTariff) or s.bill.usage_this_period is None:
            return None
        return str(tariff.units_for_amount(s.bill.usage_this_period, amount.minor).units)

    # -- attract, service, identify -----------------------------------------
    def _on_start(self, _: e.StartPressed) -> None:
        if self.state is State.ATTRACT:
            self._open()
            self._enter(State.CHOOSE_SERVICE)

    def _on_service(self, event: e.ServiceChosen) -> None:
        s = self.session
        if self.state is State.CHOOSE_SERVICE and s and self._choose_service(s, event.service):
            self._enter(State.IDENTIFY)

    def _identify_by(self, method: IdentifyMethod) -> bool:
        s = self.session
        return (
            self.state is State.IDENTIFY
            and s is not None
            and s.config is not None
            and method in s.config.identify
        )

    def _look_up(self, account: str) -> None:
        s = self.session
        assert s is not None and s.service is not None
        s.account = account
        self._enter(State.LOOKING_UP)
        self._emit(c.LookUpBill(s.service, account))

    def _on_account(self, event: e.AccountEntered) -> None:
        if not self._identify_by(IdentifyMethod.KEYPAD):
            return
        assert self.session and self.session.config
        if re.fullmatch(self.session.config.account_pattern, event.text, re.ASCII):
            self._look_up(event.text)
        else:
            self._show(Notice.INVALID_ACCOUNT)

    def _on_card(self, event: e.AccountCardRead) -> None:
        if self.state is State.ATTRACT:
            session = self._open()
            if not self._choose_service(session, event.service):
                self._enter(State.CHOOSE_SERVICE, Notice.WRONG_CARD)
                return
            self._look_up(event.account)
        elif self._identify_by(IdentifyMethod.CARD):
            assert self.session
            if event.service != self.session.service:
                self._show(Notice.WRONG_CARD)
            else:
                self._look_up(event.account)

    def _on_phone(self, event: e.PhoneEntered) -> None:
        if not self._identify_by(IdentifyMethod.PHONE):
            return
        s = self.session
        assert s is not None and s.service is not None
        if PHONE.fullmatch(event.text):
            s.phone = event.text
            self._emit(c.RequestPhoneCode(s.service, event.text))
            self._enter(State.IDENTIFY, Notice.CODE_SENT)
        else:
            self._show(Notice.INVALID_PHONE)

    def _on_code(self, event: e.CodeEntered) -> None:
        s = self.session
        if not self._identify_by(IdentifyMethod.PHONE) or s is None or s.phone is None:
            return
        assert s.service is not None
        if CODE.fullmatch(event.text):
            self._enter(State.LOOKING_UP)
            self._emit(c.LookUpBillByPhone(s.service, s.phone, event.text))
        else:
            self._show(Notice.INVALID_CODE)

    # -- bill lookup --------------------------------------------------------
    def _on_bill(self, event: e.BillFound) -> None:
        s = self.session
        if self.state is not State.LOOKING_UP or s is None:
            return
        bill = event.bill
        if bill.service != s.service or bill.currency != self._currency:
            self._enter(State.IDENTIFY, Notice.SERVER_UNAVAILABLE)
            return
        s.bill, s.account = bill, bill.account
        nothing = not bill.due.is_positive() and not bill.is_purchase
        self._enter(State.BILL_SHOWN, Notice.NOTHING_DUE if nothing else None)

    def _on_not_found(self, _: e.BillNotFound) -> None:
        if self.state is State.LOOKING_UP:
            self._enter(State.IDENTIFY, Notice.ACCOUNT_NOT_FOUND)

    def _on_lookup_failed(self, _: e.LookupFailed) -> None:
        if self.state is State.LOOKING_UP:
            self._enter(State.IDENTIFY, Notice.SERVER_UNAVAILABLE)

    def _on_amount(self, event: e.AmountChosen) -> None:
        s = self.session
        if self.state is not State.BILL_SHOWN or s is None or s.bill is None:
            return
        notice = self._check_amount(s, event.amount)
        if notice is not None:
            self._show(notice)
            return
        s.amount = event.amount
        self._enter(State.CHOOSE_METHOD)

    def _check_amount(self, s: Session, amount: Money) -> Notice | None:  # noqa: PLR0911 - one return per rule
        assert s.bill is not None and s.config is not None
        if amount.currency != self._currency or not amount.is_positive():
            return Notice.AMOUNT_TOO_SMALL
        if amount.minor > self._settings.cash.max_session_fen:
            return Notice.AMOUNT_TOO_LARGE
        minimum = self._money(s.config.min_payment_fen)
        if s.bill.is_purchase:
            return Notice.AMOUNT_TOO_SMALL if amount < minimum else None
        due = s.bill.due
        if not due.is_positive():
            return Notice.NOTHING_DUE
        if amount > due:
            return Notice.AMOUNT_TOO_LARGE
        if amount < due and not s.config.allow_partial:
            return Notice.PARTIAL_NOT_ALLOWED
        if amount < due and amount < minimum:
            return Notice.AMOUNT_TOO_SMALL
        return None

    # -- method choice ------------------------------------------------------
    def _on_method(self, event: e.MethodChosen) -> None:
        s = self.session
        if self.state is not State.CHOOSE_METHOD or s is None or s.amount is None:
            return
        if event.method not in self.offered_methods():
            self._show(Notice.METHOD_UNAVAILABLE)
            return
        s.method = event.method
        if event.method is PaymentMethod.CASH:
            self._enter(State.CASH_INSERTING)
            self._enable_acceptor()
        elif event.method is PaymentMethod.CARD:
            s.card_reference = str(self._new_id())
            self._enter(State.CARD_PAYING)
            self._emit(c.StartCardPayment(s.card_reference, s.amount))
        else:
            s.qr_reference, s.qr_order, s.qr_url = str(self._new_id()), None, None
            self._enter(State.QR_WAITING)
            self._emit(c.CreateQrOrder(s.qr_reference, s.amount, event.method))

    # -- cash ---------------------------------------------------------------
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
            self._journal(RecordKind.NOTE_RETURNED, {"value": value.to_json(), "why": "idle"})
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
        self._journal(RecordKind.NOTE_STACKED, {"value": event.value.to_json(), **self._context()})
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
        if s.paid >= s.amount:
            self._complete(s.amount, {})
        else:
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
            s.acceptor_on = False  # a failed acceptor takes no disable command
            self._end(Outcome.DEVICE_FAULT, Notice.ACCEPTOR_FAULT)

    def _on_finish(self, _: e.CashFinishPressed) -> None:
        s = self.session
        if self.state is not State.CASH_INSERTING or s is None or s.amount is None:
            return
        assert s.config is not None
        partial_ok = s.config.allow_partial or s.is_purchase
        if s.escrow is None and partial_ok and s.paid >= self._money(s.config.min_payment_fen):
            self._complete(s.paid.min(s.amount), {"partial": s.paid < s.amount})
        else:
            self._show(Notice.INSERT_MORE)

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
            self._complete(s.amount, details)
            return
        # Approved after its session gave up: void it, and say so in the journal.
        self._journal(
            RecordKind.CARD_REVERSAL,
            {"reference": event.reference, "reason": "late_approval"},
            self._new_id(),
        )
        self._emit(c.CancelCardPayment(event.reference))

    def _on_card_declined(self, _: e.CardDeclined) -> None:
        if self.state is State.CARD_PAYING:
            self._enter(State.CHOOSE_METHOD, Notice.CARD_DECLINED)

    def _on_card_failed(self, _: e.CardFailed) -> None:
        if self.state is State.CARD_PAYING:
            self._enter(State.CHOOSE_METHOD, Notice.CARD_FAILED)

    # -- QR -----------------------------------------------------------------
    def _on_qr_created(self, event: e.QrOrderCreated) -> None:
        s = self.session
        if self.state is State.QR_WAITING and s and s.qr_order is None:
            s.qr_order, s.qr_url = event.order_id, event.url
            self._journal(RecordKind.QR_ORDER_CREATED, {"order_id": event.order_id})
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
            self._complete(s.amount, {"order_id": event.order_id})
            return
        self._journal(
            RecordKind.QR_REFUND,
            {"order_id": event.order_id, "reason": "late_payment"},
            self._new_id(),
        )
        self._emit(c.RefundQrOrder(event.order_id))

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

    # -- receipts -----------------------------------------------------------
    def _on_printed(self, _: e.ReceiptPrinted) -> None:
        if self.state is State.COMPLETING:
            self._journal(RecordKind.RECEIPT_PRINTED, {})
            self._close(Outcome.PAID)
            self._enter(State.DONE)

    def _on_print_failed(self, event: e.ReceiptFailed) -> None:
        if self.state is State.COMPLETING:
            self._receipt_failed(event.reason)

    def _receipt_failed(self, reason: str) -> None:
        self._journal(RecordKind.RECEIPT_FAILED, {"reason": reason})
        self._close(Outcome.PAID)
        self._enter(State.DONE, Notice.RECEIPT_FAILED)

    # -- navigation ---------------------------------------------------------
    def _on_back(self, _: e.BackPressed) -> None:
        s = self.session
        back = {
            State.IDENTIFY: State.CHOOSE_SERVICE,
            State.BILL_SHOWN: State.IDENTIFY,
            State.CHOOSE_METHOD: State.BILL_SHOWN,
        }
        if self.state is State.CHOOSE_SERVICE:
            self._end(Outcome.CANCELLED)
        elif self.state in back:
            self._enter(back[self.state])
        elif self.state is State.CASH_INSERTING and s and not s.paid and s.escrow is None:
            self._disable_acceptor()
            self._enter(State.CHOOSE_METHOD)
        elif self.state in (State.DONE, State.CANCELLED, State.TIMED_OUT):
            self._enter(self._after_session())

    def _on_cancel(self, _: e.CancelPressed) -> None:
        if self.state in (State.DONE, State.CANCELLED, State.TIMED_OUT):
            self._enter(self._after_session())
        elif self.state in (State.QR_WAITING,):
            self._give_up_qr(Outcome.CANCELLED)
        elif self.state in SESSION_STATES:
            self._end(Outcome.CANCELLED)

    def _on_touch(self, _: e.ScreenTouched) -> None:
        if self.state is State.ARE_YOU_THERE and self._resume is not None:
            resume, self._resume = self._resume, None
            self._enter(resume)
            if resume is State.CASH_INSERTING:
                self._enable_acceptor()
        elif self.state in INPUT_STATES:
            self._arm(Timer.STATE, self._timeout(self.state))
        elif self.state in (State.CANCELLED, State.TIMED_OUT):
            self._enter(self._after_session())

    def _on_accessibility(self, event: e.AccessibilityToggled) -> None:
        self._accessible = event.on
        self._arm(Timer.STATE, self._timeout(self.state))
        self._show(self._notice)

    # -- timers -------------------------------------------------------------
    def _on_timer(self, event: e.TimerFired) -> None:
        if self._tokens.get(event.timer) != event.token:
            return  # stale: re-armed or cancelled since
        del self._tokens[event.timer]
        if event.timer is Timer.QR_POLL:
            if self.state is State.QR_WAITING and self.session and self.session.qr_order:
                self._emit(c.QueryQrOrder(self.session.qr_order))
            return
        self._state_timeout()

    def _state_timeout(self) -> None:
        state, s = self.state, self.session
        if state in INPUT_STATES:
            self._resume = state
            self._disable_acceptor()
            self._enter(State.ARE_YOU_THERE)
        elif state is State.ARE_YOU_THERE:
            self._resume = None
            self._end(Outcome.TIMED_OUT)
        elif state is State.LOOKING_UP:
            self._enter(State.IDENTIFY, Notice.SERVER_UNAVAILABLE)
        elif state is State.CARD_PAYING:
            self._end(Outcome.TIMED_OUT, Notice.CARD_FAILED)
        elif state is State.QR_WAITING:
            self._give_up_qr(Outcome.TIMED_OUT)
        elif state is State.QR_CANCELLING:
            assert s is not None
            self._journal(
                RecordKind.QR_UNRESOLVED,
                {"order_id": s.qr_order, **self._context()},
                self._new_id(),
            )
            self._close(s.outcome or Outcome.TIMED_OUT)
            self._enter(State.CANCELLED)
        elif state is State.COMPLETING:
            self._receipt_failed("printer did not answer")
        elif state in (State.DONE, State.CANCELLED, State.TIMED_OUT):
            self._enter(self._after_session())
        elif state in (State.ATTRACT, State.OUT_OF_SERVICE):
            self._emit(c.RequestHealthCheck())
            self._enter(state)
        elif state is State.MAINTENANCE:
            self._journal(RecordKind.MAINTENANCE, {"action": "timed_out"}, self._new_id())
            self._enter(self._after_session())

    # -- kiosk state --------------------------------------------------------
    def _on_available(self, event: e.MethodsAvailable) -> None:
        self._available = event.methods
        if self.state is State.CHOOSE_METHOD:
            self._show(self._notice)

    def _on_out_of_service(self, event: e.OutOfServiceSet) -> None:
        self._out_of_service = event.reason
        if self.state is State.ATTRACT:
            self._enter(State.OUT_OF_SERVICE)
        elif self.state is State.OUT_OF_SERVICE:
            self._show()

    def _on_restored(self, _: e.ServiceRestored) -> None:
        self._out_of_service = None
        if self.state is State.OUT_OF_SERVICE:
            self._enter(State.ATTRACT)

    def _on_maintenance(self, event: e.MaintenanceEntered) -> None:
        if self.state in (State.ATTRACT, State.OUT_OF_SERVICE):
            self.session = None
            self._journal(
                RecordKind.MAINTENANCE, {"action": "entered", "role": event.role}, self._new_id()
            )
            self._enter(State.MAINTENANCE)

    def _on_maintenance_left(self, _: e.MaintenanceLeft) -> None:
        if self.state is State.MAINTENANCE:
            self._journal(RecordKind.MAINTENANCE, {"action": "left"}, self._new_id())
            self._enter(self._after_session())


# Each handler takes its own event type; the table is keyed by that type.
_HANDLERS: dict[type[e.Event], Callable[[PayFlow, Any], None]] = {
    e.StartPressed: PayFlow._on_start,
    e.ServiceChosen: PayFlow._on_service,
    e.AccountEntered: PayFlow._on_account,
    e.AccountCardRead: PayFlow._on_card,
    e.PhoneEntered: PayFlow._on_phone,
    e.CodeEntered: PayFlow._on_code,
    e.BillFound: PayFlow._on_bill,
    e.BillNotFound: PayFlow._on_not_found,
    e.LookupFailed: PayFlow._on_lookup_failed,
    e.AmountChosen: PayFlow._on_amount,
    e.MethodChosen: PayFlow._on_method,
    e.NoteEscrowed: PayFlow._on_escrowed,
    e.NoteStacked: PayFlow._on_stacked,
    e.NoteReturned: PayFlow._on_returned,
    e.NoteRejected: PayFlow._on_rejected,
    e.AcceptorFailed: PayFlow._on_acceptor_failed,
    e.CashFinishPressed: PayFlow._on_finish,
    e.CardApproved: PayFlow._on_card_approved,
    e.CardDeclined: PayFlow._on_card_declined,
    e.CardFailed: PayFlow._on_card_failed,
    e.QrOrderCreated: PayFlow._on_qr_created,
    e.QrOrderFailed: PayFlow._on_qr_failed,
    e.QrPending: PayFlow._on_qr_pending,
    e.QrPaid: PayFlow._on_qr_paid,
    e.QrCancelled: PayFlow._on_qr_cancelled,
    e.ReceiptPrinted: PayFlow._on_printed,
    e.ReceiptFailed: PayFlow._on_print_failed,
    e.BackPressed: PayFlow._on_back,
    e.CancelPressed: PayFlow._on_cancel,
    e.ScreenTouched: PayFlow._on_touch,
    e.AccessibilityToggled: PayFlow._on_accessibility,
    e.TimerFired: PayFlow._on_timer,
    e.MethodsAvailable: PayFlow._on_available,
    e.OutOfServiceSet: PayFlow._on_out_of_service,
    e.ServiceRestored: PayFlow._on_restored,
    e.MaintenanceEntered: PayFlow._on_maintenance,
    e.MaintenanceLeft: PayFlow._on_maintenance_left,
}
