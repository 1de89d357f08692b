"""Every edge of the transition table, each driven by a case.

The cases are checked against ``TRANSITIONS``: an edge added to the table
without a case here, or a case for an edge that is not there, fails.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from config.choices import PaymentMethod
from kiosk.flow import State
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow.transitions import TRANSITIONS
from tests.kiosk.flow_harness import Harness, bill, yuan
from tests.kiosk.test_flow_paths import reach

S = State
Step = Callable[[Harness], object]
OOS = e.OutOfServiceSet("cashbox full")


def send(*events: e.Event) -> Step:
    return lambda h: h.send(*events)


def fire(h: Harness) -> object:
    return h.fire()


def oos_then_fire(h: Harness) -> object:
    h.send(OOS)
    return h.fire()


def approve(h: Harness) -> object:
    reference = h.of(c.StartCardPayment)[-1].reference
    return h.send(e.CardApproved(reference, "622202******1234", "A1"))


def qr_without_order() -> Harness:
    h = Harness()
    h.to_method()
    h.send(e.MethodChosen(PaymentMethod.ALIPAY))
    return h


def asking(state: State) -> Callable[[], Harness]:
    """Are-you-there, asked while the customer was in ``state``."""

    def start() -> Harness:
        h = reach(state)
        h.fire()
        return h

    return start


def asking_with_note_in_escrow() -> Harness:
    h = Harness()
    h.to_cash(bill(due="100"))
    h.send(e.NoteEscrowed(yuan("100")))
    h.fire()
    return h


@dataclass(frozen=True)
class Case:
    source: State
    target: State
    step: Step
    start: Callable[[], Harness] | None = None

    def harness(self) -> Harness:
        return self.start() if self.start else reach(self.source)


CASES = [
    Case(S.ATTRACT, S.CHOOSE_SERVICE, send(e.StartPressed())),
    Case(S.ATTRACT, S.CHOOSE_SERVICE, send(e.AccountCardRead("telephone", "1"))),
    Case(S.ATTRACT, S.LOOKING_UP, send(e.AccountCardRead("gas", "123456789"))),
    Case(S.ATTRACT, S.OUT_OF_SERVICE, send(OOS)),
    Case(S.ATTRACT, S.MAINTENANCE, send(e.MaintenanceEntered("technician"))),
    Case(S.ATTRACT, S.ATTRACT, fire),
    Case(S.CHOOSE_SERVICE, S.IDENTIFY, send(e.ServiceChosen("water"))),
    Case(S.CHOOSE_SERVICE, S.CANCELLED, send(e.BackPressed())),
    Case(S.CHOOSE_SERVICE, S.ARE_YOU_THERE, fire),
    Case(S.IDENTIFY, S.LOOKING_UP, send(e.AccountEntered("1234567890"))),
    Case(S.IDENTIFY, S.CHOOSE_SERVICE, send(e.BackPressed())),
    Case(S.IDENTIFY, S.CANCELLED, send(e.CancelPressed())),
    Case(S.IDENTIFY, S.ARE_YOU_THERE, fire),
    Case(S.LOOKING_UP, S.BILL_SHOWN, send(e.BillFound(bill()))),
    Case(S.LOOKING_UP, S.IDENTIFY, send(e.BillNotFound())),
    Case(S.LOOKING_UP, S.CANCELLED, send(e.CancelPressed())),
    Case(S.BILL_SHOWN, S.CHOOSE_METHOD, send(e.AmountChosen(yuan("123.45")))),
    Case(S.BILL_SHOWN, S.IDENTIFY, send(e.BackPressed())),
    Case(S.BILL_SHOWN, S.CANCELLED, send(e.CancelPressed())),
    Case(S.BILL_SHOWN, S.ARE_YOU_THERE, fire),
    Case(S.CHOOSE_METHOD, S.CASH_INSERTING, send(e.MethodChosen(PaymentMethod.CASH))),
    Case(S.CHOOSE_METHOD, S.CARD_PAYING, send(e.MethodChosen(PaymentMethod.CARD))),
    Case(S.CHOOSE_METHOD, S.QR_WAITING, send(e.MethodChosen(PaymentMethod.UNIONPAY_QR))),
    Case(S.CHOOSE_METHOD, S.BILL_SHOWN, send(e.BackPressed())),
    Case(S.CHOOSE_METHOD, S.CANCELLED, send(e.CancelPressed())),
    Case(S.CHOOSE_METHOD, S.ARE_YOU_THERE, fire),
    Case(S.CASH_INSERTING, S.COMPLETING, lambda h: h.insert("100", "20", "5", "1")),
    Case(S.CASH_INSERTING, S.CHOOSE_METHOD, send(e.BackPressed())),
    Case(S.CASH_INSERTING, S.CANCELLED, send(e.CancelPressed())),
    Case(S.CASH_INSERTING, S.CANCELLED, send(e.AcceptorFailed("stacker jam"))),
    Case(S.CASH_INSERTING, S.ARE_YOU_THERE, fire),
    Case(S.CARD_PAYING, S.COMPLETING, approve),
    Case(S.CARD_PAYING, S.CHOOSE_METHOD, send(e.CardDeclined("05"))),
    Case(S.CARD_PAYING, S.CANCELLED, send(e.CancelPressed())),
    Case(S.CARD_PAYING, S.TIMED_OUT, fire),
    Case(S.QR_WAITING, S.COMPLETING, send(e.QrPaid("ORD1"))),
    Case(S.QR_WAITING, S.QR_CANCELLING, send(e.CancelPressed())),
    Case(S.QR_WAITING, S.CHOOSE_METHOD, send(e.QrOrderFailed("502")), qr_without_order),
    Case(S.QR_WAITING, S.CANCELLED, send(e.CancelPressed()), qr_without_order),
    Case(S.QR_WAITING, S.TIMED_OUT, fire, qr_without_order),
    Case(S.QR_CANCELLING, S.COMPLETING, send(e.QrPaid("ORD1"))),
    Case(S.QR_CANCELLING, S.CANCELLED, send(e.QrCancelled("ORD1"))),
    Case(S.QR_CANCELLING, S.CANCELLED, fire),
    Case(S.COMPLETING, S.DONE, send(e.ReceiptPrinted())),
    Case(S.COMPLETING, S.DONE, send(e.ReceiptFailed("cover open"))),
    Case(S.DONE, S.ATTRACT, fire),
    Case(S.DONE, S.OUT_OF_SERVICE, oos_then_fire),
    *[
        Case(S.ARE_YOU_THERE, state, send(e.ScreenTouched()), asking(state))
        for state in (S.CHOOSE_SERVICE, S.IDENTIFY, S.BILL_SHOWN, S.CHOOSE_METHOD, S.CASH_INSERTING)
    ],
    Case(
        S.ARE_YOU_THERE, S.COMPLETING, send(e.NoteStacked(yuan("100"))), asking_with_note_in_escrow
    ),
    Case(S.ARE_YOU_THERE, S.CANCELLED, send(e.CancelPressed())),
    Case(S.ARE_YOU_THERE, S.CANCELLED, send(e.AcceptorFailed("jam")), asking(S.CASH_INSERTING)),
    Case(S.ARE_YOU_THERE, S.TIMED_OUT, fire),
    Case(S.CANCELLED, S.ATTRACT, send(e.ScreenTouched())),
    Case(S.CANCELLED, S.OUT_OF_SERVICE, oos_then_fire),
    Case(S.TIMED_OUT, S.ATTRACT, fire),
    Case(S.TIMED_OUT, S.OUT_OF_SERVICE, oos_then_fire),
    Case(S.OUT_OF_SERVICE, S.ATTRACT, send(e.ServiceRestored())),
    Case(S.OUT_OF_SERVICE, S.MAINTENANCE, send(e.MaintenanceEntered("cash_collector"))),
    Case(S.OUT_OF_SERVICE, S.OUT_OF_SERVICE, fire),
    Case(S.MAINTENANCE, S.ATTRACT, send(e.MaintenanceLeft())),
    Case(S.MAINTENANCE, S.OUT_OF_SERVICE, oos_then_fire),
]


@pytest.mark.parametrize("case", CASES, ids=lambda k: f"{k.source.value}->{k.target.value}")
def test_edge(case: Case) -> None:
    h = case.harness()
    assert h.current() is case.source
    case.step(h)
    assert h.current() is case.target


def test_every_table_edge_has_a_case() -> None:
    table = {(s, t) for s, edges in TRANSITIONS.items() for _, t in edges}
    assert {(k.source, k.target) for k in CASES} == table
