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

from config.choices import IdentifyMethod, PaymentMethod
from config.records import RecordKind
from kiosk.bills import Bill
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow.cash import CashHandlers
from kiosk.flow.electronic import ElectronicHandlers
from kiosk.flow.session import Session
from kiosk.flow.states import (
    ENDED_STATES,
    INPUT_STATES,
    SESSION_STATES,
    GivenBack,
    Notice,
    Outcome,
    State,
    Timer,
)
from kiosk.money import Money

# ASCII: \d must not match full-width or other Unicode digits.
PHONE = re.compile(r"1[3-9]\d{9}", re.ASCII)
CODE = re.compile(r"\d{6}", re.ASCII)


class PayFlow(CashHandlers, ElectronicHandlers):
    """One kiosk's pay flow. Not thread-safe: feed it from one thread."""

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
        assert s is not None and s.service is not None and s.config is not None
        s.account = account
        self._enter(State.LOOKING_UP)
        if self._online:
            self._emit(c.LookUpBill(s.service, account))
        elif s.by_card and s.config.prepaid and self._settings.offline.enabled:
            # Offline, an account card still buys units with the cached fee table.
            s.offline = True
            self._on_bill(e.BillFound(Bill(s.service, account, "", (), prepaid=True)))
        else:
            self._enter(State.IDENTIFY, Notice.SERVER_UNAVAILABLE)

    def _on_account(self, event: e.AccountEntered) -> None:
        if not self._identify_by(IdentifyMethod.KEYPAD):
            return
        assert self.session and self.session.config
        if re.fullmatch(self.session.config.account_pattern, event.text, re.ASCII):
            self._look_up(event.text)
        else:
            self._show(Notice.INVALID_ACCOUNT)

    def _on_card(self, event: e.AccountCardRead) -> None:
        s = self.session
        if self.state in ENDED_STATES and not (s and s.writing_card):
            self._enter(self._after_session())  # the next customer (or bill) is here
        if self.state is State.ATTRACT:
            session = self._open()
            session.by_card = True
            if not self._choose_service(session, event.service):
                self._enter(State.CHOOSE_SERVICE, Notice.WRONG_CARD)
                return
            self._look_up(event.account)
        elif self._identify_by(IdentifyMethod.CARD):
            assert self.session
            if event.service != self.session.service:
                self._show(Notice.WRONG_CARD)
            else:
                self.session.by_card = True
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
        if s.by_card and bill.card_reissues:  # the card is in: what it missed goes on it now
            for earlier in bill.card_reissues:
                s.reissuing.add(str(earlier.transaction))
                self._emit(
                    c.LoadAccountCard(earlier.transaction, bill.account, earlier.units,
                                      earlier.amount)
                )  # fmt: skip
            self._enter(State.BILL_SHOWN, Notice.CARD_REISSUING)
            return
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
        if s.offline and amount > self._offline_limit():
            return Notice.OFFLINE_LIMIT
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
            self._journal(
                RecordKind.CARD_STARTED, {"reference": s.card_reference, **self._context()}
            )
            self._enter(State.CARD_PAYING)
            self._emit(c.StartCardPayment(s.card_reference, s.amount))
        else:
            s.qr_reference, s.qr_order, s.qr_url = str(self._new_id()), None, None
            self._enter(State.QR_WAITING)
            self._emit(c.CreateQrOrder(s.qr_reference, s.amount, event.method, s.account or ""))

    # -- receipts -----------------------------------------------------------
    def _on_printed(self, _: e.ReceiptPrinted) -> None:
        if self.state is State.COMPLETING:
            self._journal(RecordKind.RECEIPT_PRINTED, {})
            self._close(Outcome.PAID)
            s = self.session
            self._enter(State.DONE, Notice.CARD_NOT_LOADED if s and s.card_not_loaded else None)

    def _on_print_failed(self, event: e.ReceiptFailed) -> None:
        if self.state is State.COMPLETING:
            self._receipt_failed(event.reason)

    def _receipt_failed(self, reason: str) -> None:
        self._journal(RecordKind.RECEIPT_FAILED, {"reason": reason})
        self._close(Outcome.PAID)
        self._enter(State.DONE, Notice.RECEIPT_FAILED)

    # -- the account card ---------------------------------------------------
    def _on_card_loaded(self, event: e.AccountCardLoaded) -> None:
        s = self.session
        if s is not None and event.transaction in s.reissuing:
            s.reissuing.discard(event.transaction)
            self._journal(
                RecordKind.CARD_REISSUED,
                {"transaction": event.transaction, "sequence": event.sequence,
                 "service": s.service, "account": s.account},
                self._new_id(),
            )  # fmt: skip
            if not s.reissuing and self._notice is Notice.CARD_REISSUING:
                self._show(Notice.CARD_REISSUED)
            return
        self._journal(
            RecordKind.CARD_LOADED, {"transaction": event.transaction, "sequence": event.sequence}
        )
        if self.session is not None and self.session.card_writing:
            self.session.card_writing = False
            if self.state is State.DONE:
                self._show(self._notice)

    def _on_card_load_failed(self, event: e.AccountCardLoadFailed) -> None:
        """The purchase stays journaled; the server reissues it to the card."""
        self._journal(
            RecordKind.CARD_LOAD_FAILED,
            {"transaction": event.transaction, "reason": event.reason, **self._context()},
            self._new_id(),
        )
        s = self.session
        if s is not None and event.transaction in s.reissuing:  # still waiting at the server
            s.reissuing.discard(event.transaction)
            if self._notice is Notice.CARD_REISSUING:
                self._show(Notice.CARD_NOT_LOADED)
            return
        if s is not None:
            s.card_not_loaded = True
            s.card_writing = False
        if self.state is State.DONE:
            self._show(Notice.CARD_NOT_LOADED)

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
        elif self.state is State.CASH_INSERTING and s and not s.unsettled and s.escrow is None:
            self._disable_acceptor()
            self._enter(State.CHOOSE_METHOD)
        elif self.state in ENDED_STATES:
            self._enter(self._after_session())

    def _on_cancel(self, _: e.CancelPressed) -> None:
        if self.state in ENDED_STATES:
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
        elif self.state in INPUT_STATES or self.state is State.MAINTENANCE:
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
            s.given_back = GivenBack.CHECKING  # paid: the server refunds it
            self._close(s.outcome or Outcome.TIMED_OUT)
            self._enter(State.CANCELLED)
        elif state is State.COMPLETING:
            self._receipt_failed("printer did not answer")
        elif state in ENDED_STATES:
            self._enter(self._after_session())
        elif state in (State.ATTRACT, State.OUT_OF_SERVICE):
            self._emit(c.RequestHealthCheck())
            self._enter(state)
        elif state is State.MAINTENANCE:
            self._leave_maintenance("timed_out")

    # -- kiosk state --------------------------------------------------------
    def _on_available(self, event: e.MethodsAvailable) -> None:
        self._available = event.methods
        if self.state is State.CHOOSE_METHOD:
            self._show(self._notice)

    def _on_printer(self, event: e.PrinterChanged) -> None:
        self._printing, self._paper_low = event.printing, event.paper_low
        if self.state in (State.ATTRACT, State.CHOOSE_METHOD, State.BILL_SHOWN):
            self._show(self._notice)

    def _on_connectivity(self, event: e.ConnectivityChanged) -> None:
        self._online = event.online
        self._offline_left = event.offline_allowance
        if self.state in (State.ATTRACT, State.IDENTIFY, State.BILL_SHOWN, State.CHOOSE_METHOD):
            self._show(self._notice)

    def _on_settings(self, event: e.SettingsChanged) -> None:
        """Kept until no customer is in a session, then swapped in whole."""
        self._pending_settings = (event.settings, event.version)
        if self.state in (State.ATTRACT, State.OUT_OF_SERVICE):
            self._take_pending_settings()
            self._show(self._notice)

    def _on_update_staged(self, event: e.UpdateStaged) -> None:
        """Kept until no customer is in a session, then the restart is asked for."""
        self._pending_update = event.version
        if self.state in (State.ATTRACT, State.OUT_OF_SERVICE):
            self._restart_for_update()

    def _on_out_of_service(self, event: e.OutOfServiceSet) -> None:
        self._out_of_service = event.reason
        if self.state is State.ATTRACT:
            self._enter(State.OUT_OF_SERVICE)
        elif self.state in (State.OUT_OF_SERVICE, State.MAINTENANCE):
            self._show()  # the menu shows the switch's new position

    def _on_restored(self, _: e.ServiceRestored) -> None:
        self._out_of_service = None
        if self.state is State.OUT_OF_SERVICE:
            self._enter(State.ATTRACT)
        elif self.state is State.MAINTENANCE:
            self._show()

    def _on_maintenance(self, event: e.MaintenanceEntered) -> None:
        if self.state in (State.ATTRACT, State.OUT_OF_SERVICE):
            self.session = None
            self._maintenance_role = event.role
            self._journal(
                RecordKind.MAINTENANCE,
                {"action": "entered", "role": event.role, "by": event.by},
                self._new_id(),
            )
            self._enter(State.MAINTENANCE)

    def _on_maintenance_left(self, _: e.MaintenanceLeft) -> None:
        if self.state is State.MAINTENANCE:
            self._leave_maintenance("left")

    def _leave_maintenance(self, how: str) -> None:
        role, self._maintenance_role = self._maintenance_role, None
        if self._acceptor_test:
            self._acceptor_test = False
            self._emit(c.DisableAcceptor())
        self._journal(RecordKind.MAINTENANCE, {"action": how, "role": role}, self._new_id())
        self._enter(self._after_session())

    def _on_acceptor_test(self, event: e.AcceptorTestSet) -> None:
        if self.state is not State.MAINTENANCE or event.on is self._acceptor_test:
            return
        self._acceptor_test = event.on
        if event.on:
            notes = frozenset(self._money(d) for d in self._settings.cash.denominations_fen)
            self._emit(c.EnableAcceptor(notes, self._money(self._settings.cash.max_session_fen)))
        else:
            self._emit(c.DisableAcceptor())
        self._show()


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
    e.AcceptorRestored: PayFlow._on_acceptor_restored,
    e.CashFinishPressed: PayFlow._on_finish,
    e.CardApproved: PayFlow._on_card_approved,
    e.CardDeclined: PayFlow._on_card_declined,
    e.CardFailed: PayFlow._on_card_failed,
    e.CardUnanswered: PayFlow._on_card_unanswered,
    e.GivenBack: PayFlow._on_given_back,
    e.QrOrderCreated: PayFlow._on_qr_created,
    e.QrOrderFailed: PayFlow._on_qr_failed,
    e.QrPending: PayFlow._on_qr_pending,
    e.QrPaid: PayFlow._on_qr_paid,
    e.QrCancelled: PayFlow._on_qr_cancelled,
    e.AccountCardLoaded: PayFlow._on_card_loaded,
    e.AccountCardLoadFailed: PayFlow._on_card_load_failed,
    e.ReceiptPrinted: PayFlow._on_printed,
    e.ReceiptFailed: PayFlow._on_print_failed,
    e.BackPressed: PayFlow._on_back,
    e.CancelPressed: PayFlow._on_cancel,
    e.ScreenTouched: PayFlow._on_touch,
    e.AccessibilityToggled: PayFlow._on_accessibility,
    e.TimerFired: PayFlow._on_timer,
    e.MethodsAvailable: PayFlow._on_available,
    e.OutOfServiceSet: PayFlow._on_out_of_service,
    e.UpdateStaged: PayFlow._on_update_staged,
    e.PrinterChanged: PayFlow._on_printer,
    e.ConnectivityChanged: PayFlow._on_connectivity,
    e.SettingsChanged: PayFlow._on_settings,
    e.ServiceRestored: PayFlow._on_restored,
    e.MaintenanceEntered: PayFlow._on_maintenance,
    e.MaintenanceLeft: PayFlow._on_maintenance_left,
    e.AcceptorTestSet: PayFlow._on_acceptor_test,
}
