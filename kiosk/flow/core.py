"""The pay flow's core: its state, plumbing and the session lifecycle.

``FlowCore`` holds what every handler shares: moving between states (checked
against ``transitions``), arming timers, journaling, and the two ways a session
ends, ``_complete`` (a payment) and ``_end`` (no payment; cash is credited).
The handlers live in ``cash``, ``electronic`` and ``machine``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from decimal import Decimal
from uuid import UUID, uuid4

from config.choices import PaymentMethod, RefundTarget
from config.fees.tiered import TieredTariff
from config.records import RecordKind
from config.settings import Settings
from kiosk.flow import commands as c
from kiosk.flow.session import Session
from kiosk.flow.settlement import credit_settled, payment_completed
from kiosk.flow.states import ENDED_STATES, SESSION_STATES, Notice, Outcome, State, Timer
from kiosk.flow.transitions import allowed
from kiosk.flow.view import View
from kiosk.money import Money

GIVEN_BACK_KEPT = 64
OFFLINE_USAGE = Decimal(10**9)  # past every tier boundary: the top tier's price
_TIMEOUT_NAME = {State.TIMED_OUT: "cancelled"}
_CUSTOMER_FACING = SESSION_STATES | ENDED_STATES


class FlowCore:
    """State and shared steps of ``PayFlow``. Not thread-safe: feed it from one thread."""

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
        self._printing = True  # receipts are printed; off: the e-receipt is the receipt
        self._paper_low = False
        self._online = True
        self._offline_left = Money.zero(self._currency)
        self._pending_settings: tuple[Settings, int] | None = None
        self._pending_update: str | None = None
        self._settings_version = 0
        self._maintenance_role: str | None = None
        self._acceptor_test = False
        # orders and card references already given back: a second late answer for
        # the same one (a poll and a cancel both answering "paid") asks nothing more
        self._given_back: deque[str] = deque(maxlen=GIVEN_BACK_KEPT)
        # ... and those that paid a bill: a second "approved" or "paid" for one of
        # them (a status poll answered after the notification) is not late money
        self._applied: deque[str] = deque(maxlen=GIVEN_BACK_KEPT)

    # -- public -------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        """The settings in use (a new bundle's are swapped in between sessions)."""
        return self._settings

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
            qr_order=s.qr_order if s else None,
            timeout_s=self._timeout(self.state),
            outcome=s.outcome if s else None,
            credited=s.credited if s else None,
            credited_to=s.credited_to if s else None,
            given_back=s.given_back if s else None,
            transaction=str(s.transaction) if s and s.transaction else None,
            out_of_service=self._out_of_service,
            card_writing=bool(s and s.writing_card),
            printing=self._printing,
            paper_low=self._paper_low,
            accessible=self._accessible,
            online=self._online,
            offline_limit=None if self._online else self._offline_limit(),
            settings_version=self._settings_version,
            maintenance_role=self._maintenance_role,
            acceptor_test=self._acceptor_test,
        )

    @property
    def available_methods(self) -> frozenset[PaymentMethod]:
        """What the devices allow now (a faulted acceptor takes cash away)."""
        return frozenset(self._available)

    def offered_methods(self) -> tuple[PaymentMethod, ...]:
        s = self.session
        if s is None or s.config is None:
            return ()
        # Card authorization and QR orders need the server; cash does not.
        available = self._available if self._online else {PaymentMethod.CASH} & self._available
        return tuple(m for m in s.config.methods if m in available)

    def _offline_limit(self) -> Money:
        per_payment = Money(self._settings.offline.max_per_transaction_fen, self._currency)
        return per_payment.min(self._offline_left)

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
        if state is State.ATTRACT:
            self._take_pending_settings()
            if self._pending_update is not None:
                self._restart_for_update()
        self.state = state
        self._arm(Timer.STATE, self._timeout(state))
        self._show(notice)

    def _restart_for_update(self) -> None:
        """Only between sessions: nobody is paying and nothing is in escrow."""
        version, self._pending_update = self._pending_update, None
        assert version is not None
        self._journal(RecordKind.MAINTENANCE, {"action": "update_restart", "version": version})
        self._emit(c.RestartForUpdate(version))

    def _take_pending_settings(self) -> None:
        """Swap in settings that arrived during a session; only call between sessions."""
        if self._pending_settings is not None:
            self._settings, self._settings_version = self._pending_settings
            self._pending_settings = None

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

    def _reverse(self, reference: str, reason: str) -> None:
        """Journal the reversal of ``reference`` (the outbox's durable copy) and
        ask for it now; once per reference."""
        if reference in self._given_back:
            return  # reversed already: that record and call cover it
        self._given_back.append(reference)
        self._journal(
            RecordKind.CARD_REVERSAL, {"reference": reference, "reason": reason}, self._new_id()
        )
        self._emit(c.ReverseCardPayment(reference, reason))

    def _end(self, outcome: Outcome, notice: Notice | None = None) -> None:
        """End a session that did not pay: release devices, settle cash, close."""
        s = self.session
        assert s is not None
        self._disable_acceptor()
        if s.card_reference is not None and self.state is State.CARD_PAYING:
            self._emit(c.CancelCardPayment(s.card_reference))
            self._reverse(s.card_reference, outcome.value)
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
        details = details | self._receipt_details(s, amount)
        if s.offline:
            details["offline"] = True
            self._offline_left = (self._offline_left - amount).max(Money.zero(self._currency))
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
        s.transaction = transaction
        units = details.get("units")
        if s.is_purchase and s.by_card and s.account and isinstance(units, str):
            # journaled first: a crash during the write leaves a trace for recovery
            self._journal(RecordKind.CARD_LOADING, {"transaction": str(transaction)})
            self._emit(c.LoadAccountCard(transaction, s.account, units, amount))
            s.card_writing = True
        self._enter(State.COMPLETING)
        if self._printing:
            self._emit(c.PrintReceipt(transaction))
        else:  # paper out, cover open or no answer: the e-receipt is the receipt
            self._journal(RecordKind.RECEIPT_FAILED, {"reason": "printing is off"})
            self._close(Outcome.PAID)
            self._enter(State.DONE, Notice.RECEIPT_FAILED)
        if excess.is_positive() and s.refund_to is RefundTarget.VOUCHER and self._printing:
            self._emit(c.PrintVoucher(transaction, excess))
        s.outcome = Outcome.PAID

    def _receipt_details(self, s: Session, amount: Money) -> dict[str, c.JsonValue]:
        """What the receipt needs besides the payment: the bill, and for a purchase
        the units bought and their tier breakdown."""
        bill = s.bill
        if bill is None:
            return {}
        out: dict[str, c.JsonValue] = {
            "bill": {
                "holder": bill.holder,
                "lines": [
                    {"zh": line.label_zh, "en": line.label_en, "amount": line.amount.to_json()}
                    for line in bill.lines
                ],
                "discount": bill.discount.to_json() if bill.discount else None,
                "credit": bill.credit.to_json() if bill.credit else None,
            }
        }
        tariff = self._tariff(s)
        if bill.is_purchase and tariff is not None:
            # Usage unknown (offline, or not sent): units are priced at the top tier, so
            # nobody gets more than they paid for; the server settles the difference.
            before = bill.usage_this_period
            if before is None:
                before = OFFLINE_USAGE
            bought = tariff.units_for_amount(before, amount.minor)
            out["units"] = str(bought.units)
            out["unit"] = tariff.unit
            out["tiers"] = [
                {"tier": t.tier, "units": str(t.units), "price": str(t.price), "fen": t.fen}
                for t in bought.lines
            ]
        return out

    def _tariff(self, s: Session) -> TieredTariff | None:
        if s.config is None or s.config.tariff is None:
            return None
        tariff = self._settings.tariffs[s.config.tariff].build()
        return tariff if isinstance(tariff, TieredTariff) else None
