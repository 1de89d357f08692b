"""The pay flow: identification, amounts, card, QR, timeouts and kiosk states."""

import pytest

from config.choices import PaymentMethod
from config.records import RecordKind
from kiosk.flow import GivenBack, Notice, Outcome, State, Timer
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow.transitions import TRANSITIONS, to_dot
from kiosk.money import Money
from tests.kiosk.flow_harness import (
    SETTINGS,
    Harness,
    bill,
    coupon_bill,
    details,
    purchase_bill,
    yuan,
)

# -- identification --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "123456789",  # one digit short
        "12345678901",
        "1234567890'; DROP TABLE journal; --",
        "' OR '1'='1",
        "<script>alert(1)</script>",
        "１２３４５６７８９０",  # full-width digits
        "12345 67890",
        "",
    ],
)
def test_bad_account_input_is_refused_without_lookup(text: str) -> None:
    h = Harness()
    h.to_identify()
    out = h.send(e.AccountEntered(text))
    assert not h.of(c.LookUpBill, out)
    assert h.current() is State.IDENTIFY
    assert h.flow.view().notice is Notice.INVALID_ACCOUNT


def test_phone_and_code() -> None:
    h = Harness()
    h.to_identify()
    h.send(e.PhoneEntered("12345"))
    assert h.flow.view().notice is Notice.INVALID_PHONE
    out = h.send(e.PhoneEntered("13800138000"))
    assert h.of(c.RequestPhoneCode, out) == [c.RequestPhoneCode("electricity", "13800138000")]
    assert h.flow.view().notice is Notice.CODE_SENT
    h.send(e.CodeEntered("12a456"))
    assert h.flow.view().notice is Notice.INVALID_CODE
    out = h.send(e.CodeEntered("123456"))
    assert h.of(c.LookUpBillByPhone, out) == [
        c.LookUpBillByPhone("electricity", "13800138000", "123456")
    ]
    assert h.current() is State.LOOKING_UP


def test_parking_takes_no_phone() -> None:
    h = Harness()
    h.to_identify("parking")
    assert h.send(e.PhoneEntered("13800138000")) == []


def test_account_card_from_attract_skips_typing() -> None:
    h = Harness()
    out = h.send(e.AccountCardRead("gas", "123456789"))
    assert h.of(c.LookUpBill, out) == [c.LookUpBill("gas", "123456789")]
    assert h.current() is State.LOOKING_UP
    assert h.journal(RecordKind.SESSION_OPENED)


def test_account_card_of_another_service() -> None:
    h = Harness()
    h.to_identify("water")
    h.send(e.AccountCardRead("gas", "123456789"))
    assert h.flow.view().notice is Notice.WRONG_CARD
    assert h.current() is State.IDENTIFY


def test_unknown_service_card_at_attract() -> None:
    h = Harness()
    h.send(e.AccountCardRead("telephone", "1"))
    assert h.current() is State.CHOOSE_SERVICE
    assert h.flow.view().notice is Notice.WRONG_CARD


def test_account_card_on_the_done_screen_starts_the_next_session() -> None:
    """The customer pays one bill, pulls the card and inserts the next one while
    "thank you" is still shown: the card is read, not dropped."""
    h = Harness()
    ref = card(h)
    h.send(e.CardApproved(ref, "622202******1234", "A1B2C3"), e.ReceiptPrinted())
    assert h.current() is State.DONE
    first = h.flow.session
    out = h.send(e.AccountCardRead("gas", "123456789"))
    assert h.of(c.LookUpBill, out) == [c.LookUpBill("gas", "123456789")]
    assert h.current() is State.LOOKING_UP
    assert h.flow.session is not first and first is not None and first.closed
    assert len(h.journal(RecordKind.SESSION_OPENED)) == 2


def test_account_card_on_the_cancelled_screen_starts_a_session() -> None:
    h = Harness()
    h.to_identify()
    h.send(e.CancelPressed())
    assert h.current() is State.CANCELLED
    h.send(e.AccountCardRead("water", "12345678"))
    assert h.current() is State.LOOKING_UP


@pytest.mark.parametrize(
    ("event", "notice"),
    [
        (e.BillNotFound(), Notice.ACCOUNT_NOT_FOUND),
        (e.LookupFailed("timeout"), Notice.SERVER_UNAVAILABLE),
        (e.BillFound(bill("water", "12345678")), Notice.SERVER_UNAVAILABLE),  # wrong service
    ],
)
def test_lookup_failures_return_to_identify(event: e.Event, notice: Notice) -> None:
    h = Harness()
    h.to_identify()
    h.send(e.AccountEntered("1234567890"), event)
    assert h.current() is State.IDENTIFY
    assert h.flow.view().notice is notice


def test_lookup_timeout() -> None:
    h = Harness()
    h.to_identify()
    h.send(e.AccountEntered("1234567890"))
    h.fire()
    assert (h.current(), h.flow.view().notice) == (State.IDENTIFY, Notice.SERVER_UNAVAILABLE)


# -- amounts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("found", "amount", "notice"),
    [
        (bill(due="123.45"), "123.45", None),
        (bill(due="123.45"), "50.00", None),  # electricity: instalments from ¥10
        (bill(due="123.45"), "5.00", Notice.AMOUNT_TOO_SMALL),
        (bill(due="123.45"), "123.46", Notice.AMOUNT_TOO_LARGE),
        (bill(due="0.00"), "10.00", Notice.NOTHING_DUE),
        (bill("gas", "123456789", "80.00"), "50.00", Notice.PARTIAL_NOT_ALLOWED),
        (bill("gas", "123456789", "5.00"), "5.00", None),  # the whole of a small bill
        (bill("property", "101020301", "800.00"), "99.00", Notice.AMOUNT_TOO_SMALL),
        (bill("property", "101020301", "800.00"), "100.00", None),
        (purchase_bill(), "100.00", None),
        (purchase_bill(), "5.00", Notice.AMOUNT_TOO_SMALL),
        (purchase_bill(), "2000.01", Notice.AMOUNT_TOO_LARGE),
    ],
)
def test_amount_rules(found: object, amount: str, notice: Notice | None) -> None:
    h = Harness()
    h.to_bill(found)  # type: ignore[arg-type]
    h.send(e.AmountChosen(yuan(amount)))
    assert h.flow.view().notice is notice
    assert h.current() is (State.BILL_SHOWN if notice else State.CHOOSE_METHOD)


def test_amount_in_another_currency_is_refused() -> None:
    h = Harness()
    h.to_bill()
    h.send(e.AmountChosen(Money(12345, "USD")))
    assert h.current() is State.BILL_SHOWN


def test_nothing_due_is_said_on_the_bill() -> None:
    h = Harness()
    h.to_bill(bill(due="0.00"))
    assert h.flow.view().notice is Notice.NOTHING_DUE


def test_coupon_reduces_amount_due() -> None:
    found = coupon_bill()
    assert found.due == yuan("110.00")
    h = Harness()
    h.to_cash(found)
    h.insert("100", "10")
    [done] = h.journal(RecordKind.PAYMENT_COMPLETED)
    assert done.data["amount"] == yuan("110").to_json()


def test_prepaid_purchase_records_units() -> None:
    h = Harness()
    h.to_cash(purchase_bill(), yuan("100"))
    h.insert("100")
    [done] = h.journal(RecordKind.PAYMENT_COMPLETED)
    bought = details(done)
    assert bought["units"] == "175.17"  # worked in tests/config/test_tiered.py
    assert bought["unit"] == "kWh"
    assert bought["tiers"] == [
        {"tier": 1, "units": "60", "price": "0.538", "fen": 3228},
        {"tier": 2, "units": "115.17", "price": "0.588", "fen": 6772},
    ]


# -- card ------------------------------------------------------------------


def card(h: Harness) -> str:
    h.to_method()
    out = h.send(e.MethodChosen(PaymentMethod.CARD))
    [start] = h.of(c.StartCardPayment, out)
    assert start.amount == yuan("123.45")
    return start.reference


def test_card_approved() -> None:
    h = Harness()
    ref = card(h)
    h.send(e.CardApproved(ref, "622202******1234", "A1B2C3"))
    assert h.current() is State.COMPLETING
    [auth] = h.journal(RecordKind.CARD_AUTHORIZED)
    assert auth.data["masked_pan"] == "622202******1234"
    [done] = h.journal(RecordKind.PAYMENT_COMPLETED)
    assert done.data["method"] == "card"
    assert done.data["tendered"] == done.data["amount"]


@pytest.mark.parametrize(
    ("event", "notice"),
    [
        (e.CardDeclined("51 insufficient funds"), Notice.CARD_DECLINED),
        (e.CardFailed("removed"), Notice.CARD_FAILED),
    ],
)
def test_card_declined_or_failed_goes_back_to_methods(event: e.Event, notice: Notice) -> None:
    h = Harness()
    card(h)
    h.send(event)
    assert (h.current(), h.flow.view().notice) == (State.CHOOSE_METHOD, notice)


def test_card_timeout_voids_and_a_late_approval_is_reversed() -> None:
    h = Harness()
    ref = card(h)
    out = h.fire()
    assert h.current() is State.TIMED_OUT
    assert h.of(c.CancelCardPayment, out) == [c.CancelCardPayment(ref)]
    assert h.of(c.ReverseCardPayment, out) == [c.ReverseCardPayment(ref, "timed_out")]
    assert h.journal(RecordKind.CARD_REVERSAL)[0].transaction is not None
    out = h.send(e.CardApproved(ref, "622202******1234", "A1B2C3"))
    # reversed when the session gave up: that record and call cover it; the screen says so
    assert [type(x) for x in out] == [c.Show]
    assert h.of(c.Show, out)[0].view.given_back is GivenBack.REVERSED
    assert [j.data["reason"] for j in h.journal(RecordKind.CARD_REVERSAL)] == ["timed_out"]
    assert not h.journal(RecordKind.PAYMENT_COMPLETED)


def test_a_card_payment_started_is_journaled_before_the_reader_is_asked() -> None:
    h = Harness()
    ref = card(h)
    [started] = h.journal(RecordKind.CARD_STARTED)
    assert started.data["reference"] == ref and started.data["account"] == "1234567890"
    journaled = h.log.index(started)
    assert journaled < h.log.index(c.StartCardPayment(ref, yuan("123.45")))


def test_an_unanswered_authorization_is_reversed_before_another_method() -> None:
    h = Harness()
    ref = card(h)
    out = h.send(e.CardUnanswered(ref, "no answer: ReadTimeout"))
    assert (h.current(), h.flow.view().notice) == (State.CHOOSE_METHOD, Notice.CARD_NO_ANSWER)
    assert h.of(c.ReverseCardPayment, out) == [c.ReverseCardPayment(ref, "no_answer")]
    [reversal] = h.journal(RecordKind.CARD_REVERSAL)
    assert reversal.data == {"reference": ref, "reason": "no_answer"}
    assert reversal.transaction is not None  # a transaction: the outbox uploads it
    # the approval that the lost answer carried, arriving late: already reversed, once
    assert h.send(e.CardApproved(ref, "622202******1234", "A1B2C3")) == []
    assert len(h.journal(RecordKind.CARD_REVERSAL)) == 1
    assert not h.journal(RecordKind.PAYMENT_COMPLETED)


def test_an_unanswered_after_the_approval_leaves_the_payment_standing() -> None:
    """Found by the property test: a "no answer" for a reference whose approval
    already paid the bill reversed it too — paid and given back at once."""
    h = Harness()
    ref = card(h)
    h.send(e.CardApproved(ref, "622202******1234", "A1B2C3"))
    assert h.send(e.CardUnanswered(ref, "no answer: ReadTimeout")) == []
    assert not h.journal(RecordKind.CARD_REVERSAL)
    assert len(h.journal(RecordKind.PAYMENT_COMPLETED)) == 1


# -- QR --------------------------------------------------------------------


def qr(h: Harness) -> None:
    h.to_method()
    out = h.send(e.MethodChosen(PaymentMethod.WECHAT))
    [create] = h.of(c.CreateQrOrder, out)
    assert (create.amount, create.method) == (yuan("123.45"), PaymentMethod.WECHAT)
    h.send(e.QrOrderCreated("ORD1", "https://pay.example/ORD1"))
    assert h.flow.view().qr_url == "https://pay.example/ORD1"


def test_qr_polls_until_paid() -> None:
    h = Harness()
    qr(h)
    out = h.fire(Timer.QR_POLL)
    assert h.of(c.QueryQrOrder, out) == [c.QueryQrOrder("ORD1")]
    out = h.send(e.QrPending("ORD1"))
    assert h.of(c.ArmTimer, out)[0].timer is Timer.QR_POLL
    h.send(e.QrPaid("ORD1"))
    assert h.current() is State.COMPLETING
    paid = details(h.journal(RecordKind.PAYMENT_COMPLETED)[0])
    assert paid["order_id"] == "ORD1"
    assert paid["bill"]["lines"][0]["amount"] == yuan("123.45").to_json()


def test_qr_cancel_is_confirmed_with_the_server() -> None:
    h = Harness()
    qr(h)
    out = h.send(e.CancelPressed())
    assert h.of(c.CancelQrOrder, out) == [c.CancelQrOrder("ORD1")]
    assert h.current() is State.QR_CANCELLING
    h.send(e.QrCancelled("ORD1"))
    assert h.current() is State.CANCELLED


def test_qr_paid_while_cancelling_is_honoured() -> None:
    h = Harness()
    qr(h)
    h.fire()  # the customer walked away
    h.send(e.QrPaid("ORD1"))
    assert h.current() is State.COMPLETING
    assert h.journal(RecordKind.PAYMENT_COMPLETED)


def test_qr_cancel_unanswered_is_left_to_the_server() -> None:
    h = Harness()
    qr(h)
    h.send(e.CancelPressed())
    h.fire()
    [unresolved] = h.journal(RecordKind.QR_UNRESOLVED)
    assert unresolved.transaction is not None
    assert h.current() is State.CANCELLED
    assert h.flow.view().given_back is GivenBack.CHECKING  # the screen: still checking
    out = h.send(e.QrPaid("ORD1"))  # paid after the kiosk gave up: back to the wallet
    assert h.of(c.RefundQrOrder, out) == [c.RefundQrOrder("ORD1")]
    [shown] = h.of(c.Show, out)
    assert (shown.view.given_back, shown.view.qr_order) == (GivenBack.REFUNDING, "ORD1")
    assert h.send(e.QrPaid("ORD1")) == []  # the cancel's late answer too: refunded once
    assert len(h.journal(RecordKind.QR_REFUND)) == 1
    out = h.send(e.GivenBack("ORD1", "refunded"))  # the server's answer
    assert [x.view.given_back for x in h.of(c.Show, out)] == [GivenBack.REFUNDED]
    h.send(e.GivenBack("ORD1", "refunding"))  # a slower answer does not undo it
    assert h.flow.view().given_back is GivenBack.REFUNDED
    assert h.send(e.GivenBack("ORD-OTHER", "refunded")) == []  # not this session's


@pytest.mark.parametrize("method", [PaymentMethod.CARD, PaymentMethod.WECHAT])
def test_a_second_paid_answer_for_a_payment_is_not_late_money(method: PaymentMethod) -> None:
    """A status poll answered after the approval or notification that paid the
    bill: the payment stands; nothing is reversed or refunded."""
    h = Harness()
    if method is PaymentMethod.CARD:
        ref = card(h)
        paid: e.Event = e.CardApproved(ref, "622202******1234", "A1")
    else:
        qr(h)
        paid = e.QrPaid("ORD1")
    h.send(paid)
    assert h.current() is State.COMPLETING
    assert h.send(paid) == []
    h.send(e.ReceiptPrinted())
    assert h.send(paid) == []  # on the last screen as well
    assert not h.journal(RecordKind.CARD_REVERSAL) and not h.journal(RecordKind.QR_REFUND)


def test_a_late_card_approval_on_the_last_screen_says_not_charged() -> None:
    h = Harness()
    ref = card(h)
    h.send(e.CancelPressed())
    assert h.current() is State.CANCELLED and h.flow.view().given_back is None
    out = h.send(e.CardApproved(ref, "622202******1234", "A1"))
    assert h.of(c.ReverseCardPayment, out) == []  # reversed when the session gave up
    assert [x.view.given_back for x in h.of(c.Show, out)] == [GivenBack.REVERSED]
    h.send(e.GivenBack(ref, "reversed"))  # the server's answer: the same
    assert h.flow.view().given_back is GivenBack.REVERSED


def test_qr_order_failure_and_late_order() -> None:
    h = Harness()
    h.to_method()
    h.send(e.MethodChosen(PaymentMethod.ALIPAY), e.QrOrderFailed("503"))
    assert (h.current(), h.flow.view().notice) == (State.CHOOSE_METHOD, Notice.QR_FAILED)
    h.send(e.MethodChosen(PaymentMethod.ALIPAY), e.CancelPressed())
    assert h.current() is State.CANCELLED
    out = h.send(e.QrOrderCreated("ORD9", "https://pay.example/ORD9"))
    assert h.of(c.CancelQrOrder, out) == [c.CancelQrOrder("ORD9")]


def test_unavailable_method_is_refused() -> None:
    h = Harness()
    h.to_method(bill("parking", "202611240001", "12.00"))
    h.send(e.MethodChosen(PaymentMethod.CARD))  # parking takes no card
    assert h.flow.view().notice is Notice.METHOD_UNAVAILABLE
    h.send(e.MethodsAvailable(frozenset({PaymentMethod.CASH})))
    assert h.flow.view().methods == (PaymentMethod.CASH,)


# -- receipts --------------------------------------------------------------


def test_receipt_failure_and_printer_silence_end_in_done() -> None:
    h = Harness()
    h.to_cash(bill(due="10.00"))
    h.insert("10")
    h.send(e.ReceiptFailed("paper out"))
    assert (h.current(), h.flow.view().notice) == (State.DONE, Notice.RECEIPT_FAILED)
    h2 = Harness()
    h2.to_cash(bill(due="10.00"))
    h2.insert("10")
    h2.fire()
    assert h2.journal(RecordKind.RECEIPT_FAILED)[0].data == {"reason": "printer did not answer"}


# -- timeouts and kiosk states ---------------------------------------------


def reach(state: State) -> Harness:  # noqa: PLR0912 - one branch per state
    h = Harness()
    if state is State.CHOOSE_SERVICE:
        h.send(e.StartPressed())
    elif state is State.IDENTIFY:
        h.to_identify()
    elif state is State.LOOKING_UP:
        h.to_identify()
        h.send(e.AccountEntered("1234567890"))
    elif state is State.BILL_SHOWN:
        h.to_bill()
    elif state is State.CHOOSE_METHOD:
        h.to_method()
    elif state is State.CASH_INSERTING:
        h.to_cash()
    elif state is State.CARD_PAYING:
        card(h)
    elif state is State.QR_WAITING:
        qr(h)
    elif state is State.QR_CANCELLING:
        qr(h)
        h.send(e.CancelPressed())
    elif state in (State.COMPLETING, State.DONE):
        h.to_cash(bill(due="10"))
        h.insert("10")
        if state is State.DONE:
            h.send(e.ReceiptPrinted())
    elif state in (State.ARE_YOU_THERE, State.CANCELLED, State.TIMED_OUT):
        h.to_identify()
        if state is State.CANCELLED:
            h.send(e.CancelPressed())
        else:
            h.fire()
        if state is State.TIMED_OUT:
            h.fire()
    elif state is State.OUT_OF_SERVICE:
        h.send(e.OutOfServiceSet("printer cover open"))
    elif state is State.MAINTENANCE:
        h.send(e.MaintenanceEntered("technician"))
    assert h.current() is state
    return h


@pytest.mark.parametrize("state", list(State))
def test_every_state_arms_its_timeout_and_leaves_on_it(state: State) -> None:
    h = reach(state)
    arm = [x for x in h.log if isinstance(x, c.ArmTimer) and x.timer is Timer.STATE][-1]
    name = {State.TIMED_OUT: "cancelled"}.get(state, state.value)
    assert arm.seconds == getattr(SETTINGS.timeouts, name)
    out = h.fire()
    assert out, f"{state} ignored its timeout"
    if state in (State.ATTRACT, State.OUT_OF_SERVICE):
        assert h.of(c.RequestHealthCheck, out)
    else:
        assert h.current() is not state


def test_accessibility_lengthens_customer_timeouts() -> None:
    h = Harness()
    h.to_identify()
    out = h.send(e.AccessibilityToggled(on=True))
    factor = SETTINGS.timeouts.accessibility_factor
    assert h.of(c.ArmTimer, out)[0].seconds == SETTINGS.timeouts.identify * factor
    assert h.flow.view().accessible


def test_out_of_service_waits_for_the_customer() -> None:
    h = Harness()
    h.to_cash(bill(due="10"))
    h.send(e.OutOfServiceSet("printer paper out"))
    assert h.current() is State.CASH_INSERTING
    h.insert("10")
    h.send(e.ReceiptPrinted())
    h.fire()
    assert h.current() is State.OUT_OF_SERVICE
    assert h.flow.view().out_of_service == "printer paper out"
    h.send(e.ServiceRestored())
    assert h.current() is State.ATTRACT


def test_maintenance_is_journaled_and_times_out() -> None:
    h = Harness()
    h.send(e.OutOfServiceSet("cashbox full"))
    h.send(e.MaintenanceEntered("collector"))
    [entered] = h.journal(RecordKind.MAINTENANCE)
    assert entered.data == {"action": "entered", "role": "collector", "by": "pin"}
    assert entered.transaction is not None
    assert h.flow.view().maintenance_role == "collector"
    h.fire()
    assert h.current() is State.OUT_OF_SERVICE
    assert h.journal(RecordKind.MAINTENANCE)[-1].data == {
        "action": "timed_out",
        "role": "collector",
    }
    assert h.flow.view().maintenance_role is None


def test_a_touch_in_maintenance_restarts_its_timeout() -> None:
    h = Harness()
    h.send(e.MaintenanceEntered("technician", by="T-0042"))
    out = h.send(e.ScreenTouched())
    [armed] = [command for command in out if isinstance(command, c.ArmTimer)]
    assert armed.seconds == h.flow.settings.timeouts.maintenance
    assert h.current() is State.MAINTENANCE


def test_acceptor_test_reads_notes_and_returns_them() -> None:
    h = Harness()
    assert h.send(e.AcceptorTestSet(True)) == []  # not outside maintenance
    h.send(e.MaintenanceEntered("technician"))
    [enable] = [x for x in h.send(e.AcceptorTestSet(True)) if isinstance(x, c.EnableAcceptor)]
    assert {m.minor for m in enable.denominations} == {100, 500, 1000, 2000, 5000, 10000}
    assert h.flow.view().acceptor_test
    out = h.send(e.NoteEscrowed(Money(2000)))
    assert any(isinstance(x, c.ReturnNote) for x in out)
    assert not any(isinstance(x, c.StackNote) for x in out)
    assert h.journal(RecordKind.NOTE_RETURNED)[-1].data["why"] == "acceptor_test"
    out = h.send(e.MaintenanceLeft())
    assert any(isinstance(x, c.DisableAcceptor) for x in out)
    assert not h.flow.view().acceptor_test


def test_maintenance_not_from_a_customer_session() -> None:
    h = Harness()
    h.to_identify()
    assert h.send(e.MaintenanceEntered("technician")) == []


def test_navigation_back() -> None:
    h = Harness()
    h.to_method()
    h.send(e.BackPressed())
    assert h.current() is State.BILL_SHOWN
    h.send(e.BackPressed())
    assert h.current() is State.IDENTIFY
    h.send(e.BackPressed())
    assert h.current() is State.CHOOSE_SERVICE
    h.send(e.BackPressed())
    assert (h.current(), h.flow.view().outcome) == (State.CANCELLED, Outcome.CANCELLED)
    h.send(e.ScreenTouched())
    assert h.current() is State.ATTRACT


def test_stale_touch_is_ignored() -> None:
    h = Harness()
    assert h.send(e.ServiceChosen("water")) == []
    assert h.send(e.AmountChosen(yuan("1"))) == []
    assert h.current() is State.ATTRACT


def test_non_event_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Harness().flow.handle("cancel")  # type: ignore[arg-type]


def test_dot_lists_every_state_and_edge() -> None:
    dot = to_dot()
    for state in State:
        assert state.value in dot
    assert dot.count("->") == sum(len({t for _, t in edges}) for edges in TRANSITIONS.values())


def test_card_cancelled_by_the_customer_is_voided() -> None:
    h = Harness()
    ref = card(h)
    out = h.send(e.CancelPressed())
    assert h.current() is State.CANCELLED
    assert h.of(c.CancelCardPayment, out) == [c.CancelCardPayment(ref)]
    assert h.of(c.ReverseCardPayment, out) == [c.ReverseCardPayment(ref, "cancelled")]
    [reversal] = h.journal(RecordKind.CARD_REVERSAL)
    assert reversal.data == {"reference": ref, "reason": "cancelled"}


def test_printing_off_makes_the_e_receipt_the_receipt() -> None:
    h = Harness()
    h.send(e.PrinterChanged(printing=False, paper_low=False))
    assert not h.flow.view().printing
    h.to_cash(bill(due="10"))
    h.insert("10")
    assert h.current() is State.DONE
    assert h.flow.view().notice is Notice.RECEIPT_FAILED
    assert h.flow.view().transaction is not None
    assert not h.of(c.PrintReceipt)
    assert h.journal(RecordKind.RECEIPT_FAILED)[0].data == {"reason": "printing is off"}
    h.send(e.PrinterChanged(printing=True, paper_low=True))
    assert h.flow.view().paper_low


def test_prepaid_purchase_by_account_card_is_loaded_to_the_card() -> None:
    h = Harness()
    h.send(e.AccountCardRead("electricity", "1234567890"), e.BillFound(purchase_bill()))
    h.send(e.AmountChosen(yuan("100")), e.MethodChosen(PaymentMethod.CASH))
    h.insert("100")
    [done] = h.journal(RecordKind.PAYMENT_COMPLETED)
    [load] = h.of(c.LoadAccountCard)
    assert (load.transaction, load.account, load.units, load.amount) == (
        done.transaction, "1234567890", "175.17", yuan("100"),
    )  # fmt: skip
    h.send(e.AccountCardLoadFailed(str(done.transaction), "CardRemoved"))
    [failed] = h.journal(RecordKind.CARD_LOAD_FAILED)
    assert failed.transaction is not None  # the server reissues it
    h.send(e.ReceiptPrinted())
    assert (h.current(), h.flow.view().notice) == (State.DONE, Notice.CARD_NOT_LOADED)


def test_a_loaded_card_is_journaled() -> None:
    h = Harness()
    h.send(e.AccountCardRead("electricity", "1234567890"), e.BillFound(purchase_bill()))
    h.send(e.AmountChosen(yuan("100")), e.MethodChosen(PaymentMethod.CASH))
    h.insert("100")
    tx = str(h.journal(RecordKind.PAYMENT_COMPLETED)[0].transaction)
    h.send(e.AccountCardLoaded(tx, 8), e.ReceiptPrinted())
    assert h.journal(RecordKind.CARD_LOADED)[0].data == {"transaction": tx, "sequence": 8}
    assert h.flow.view().notice is None


def test_purchase_by_keypad_writes_no_card() -> None:
    h = Harness()
    h.to_cash(purchase_bill(), yuan("100"))
    h.insert("100")
    assert not h.of(c.LoadAccountCard)


def test_the_out_of_service_switch_shows_in_the_maintenance_menu() -> None:
    h = Harness()
    h.send(e.MaintenanceEntered("technician"))
    [shown] = h.of(c.Show, h.send(e.OutOfServiceSet("technician")))
    assert shown.view.state is State.MAINTENANCE and shown.view.out_of_service == "technician"
    [shown] = h.of(c.Show, h.send(e.ServiceRestored()))
    assert shown.view.out_of_service is None
    h.send(e.MaintenanceLeft())
    assert h.current() is State.ATTRACT
