"""For any sequence of events, every stacked note ends in exactly one settlement."""

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.choices import PaymentMethod
from config.records import RecordKind
from kiosk.flow import State, Timer
from kiosk.flow import commands as c
from kiosk.flow import events as e
from tests.kiosk.flow_harness import Harness, bill, purchase_bill, yuan

NOTES = ["1", "5", "10", "20", "50", "100", "2"]
TOUCHES: list[e.Event] = [
    e.StartPressed(),
    e.ServiceChosen("electricity"),
    e.ServiceChosen("parking"),
    e.AccountEntered("1234567890"),
    e.AccountEntered("202611240001"),
    e.AccountCardRead("electricity", "1234567890"),
    e.BillFound(bill(due="123.45")),
    e.BillFound(bill("parking", "202611240001", "12.00")),
    e.BillFound(purchase_bill()),
    e.AmountChosen(yuan("123.45")),
    e.AmountChosen(yuan("12.00")),
    e.AmountChosen(yuan("50.00")),
    e.MethodChosen(PaymentMethod.CASH),
    e.MethodChosen(PaymentMethod.CARD),
    e.MethodChosen(PaymentMethod.WECHAT),
    e.CashFinishPressed(),
    e.BackPressed(),
    e.CancelPressed(),
    e.ScreenTouched(),
    e.AcceptorFailed("jam"),
    e.CardDeclined("51"),
    e.QrOrderCreated("ORD", "https://pay.example/ORD"),
    e.QrPaid("ORD"),
    e.QrCancelled("ORD"),
    e.ReceiptPrinted(),
    e.ReceiptFailed("paper out"),
    e.OutOfServiceSet("test"),
    e.ServiceRestored(),
    e.MethodsAvailable(frozenset(PaymentMethod)),
]

actions = st.one_of(
    st.sampled_from(TOUCHES),
    st.sampled_from(NOTES).map(lambda n: ("escrow", n)),
    st.just(("device", "stack")),
    st.just(("device", "return")),
    st.sampled_from(NOTES).map(lambda n: ("stray", n)),
    st.sampled_from(list(Timer)).map(lambda t: ("timer", t)),
    st.just(("card", "approve")),
    st.just(("card", "unanswered")),
)


def pending_escrow(h: Harness) -> c.StackNote | None:
    """The note the flow asked to stack that the device has not yet answered."""
    pending: c.StackNote | None = None
    for command in h.log:
        if isinstance(command, c.StackNote):
            pending = command
    return pending


def run(h: Harness, action: object, answered: set[int]) -> None:
    if isinstance(action, e.Event):
        h.send(action)
        return
    assert isinstance(action, tuple)
    kind, arg = action
    stack = pending_escrow(h)
    if kind == "escrow":
        h.send(e.NoteEscrowed(yuan(arg)))
    elif kind == "device" and stack is not None and id(stack) not in answered:
        answered.add(id(stack))
        h.send(e.NoteStacked(stack.value) if arg == "stack" else e.NoteReturned(stack.value))
    elif kind == "stray":
        h.send(e.NoteStacked(yuan(arg)))
    elif kind == "timer":
        with contextlib.suppress(AssertionError):  # never armed
            h.fire(arg)
    elif kind == "card":
        starts = h.of(c.StartCardPayment)
        if starts and arg == "approve":
            h.send(e.CardApproved(starts[-1].reference, "622202******1234", "OK"))
        elif starts:
            h.send(e.CardUnanswered(starts[-1].reference, "no answer: ReadTimeout"))


PREFIXES: dict[str, list[e.Event]] = {
    "attract": [],
    "cash": [
        e.StartPressed(),
        e.ServiceChosen("electricity"),
        e.AccountEntered("1234567890"),
        e.BillFound(bill(due="123.45")),
        e.AmountChosen(yuan("123.45")),
        e.MethodChosen(PaymentMethod.CASH),
    ],
    "cash, parking": [
        e.StartPressed(),
        e.ServiceChosen("parking"),
        e.AccountEntered("202611240001"),
        e.BillFound(bill("parking", "202611240001", "12.00")),
        e.AmountChosen(yuan("12.00")),
        e.MethodChosen(PaymentMethod.CASH),
    ],
    "method": [
        e.AccountCardRead("electricity", "1234567890"),
        e.BillFound(purchase_bill()),
        e.AmountChosen(yuan("50.00")),
    ],
}


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(PREFIXES)), st.lists(actions, max_size=50))
def test_every_stacked_note_is_settled_exactly_once(prefix: str, sequence: list[object]) -> None:
    h = Harness()
    h.send(*PREFIXES[prefix])
    answered: set[int] = set()
    for action in sequence:
        run(h, action, answered)
    # The device answers what it still holds, and the customer walks away.
    stack = pending_escrow(h)
    if stack is not None and id(stack) not in answered:
        h.send(e.NoteStacked(stack.value))
    for _ in range(6):
        if h.current() in (State.ATTRACT, State.OUT_OF_SERVICE):
            break
        h.send(e.ReceiptPrinted())
        h.fire()
    assert h.current() in (State.ATTRACT, State.OUT_OF_SERVICE, State.MAINTENANCE)

    for session, (stacked, settled) in h.ledger().items():
        assert stacked == settled, f"session {session}: stacked {stacked}, settled {settled}"
    transactions = [j.transaction for j in h.of(c.JournalRecord) if j.transaction is not None]
    assert len(transactions) == len(set(transactions))
    # a card payment is either paid or reversed (once), never both
    paid = {
        str(j.data["details"].get("reference"))  # type: ignore[union-attr]
        for j in h.journal(RecordKind.PAYMENT_COMPLETED)
        if j.data["method"] == "card"
    }
    reversed_ = [str(j.data["reference"]) for j in h.journal(RecordKind.CARD_REVERSAL)]
    assert len(reversed_) == len(set(reversed_)) and not paid & set(reversed_)
