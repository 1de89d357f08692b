"""The pay flow with cash: escrow rules, credit only when stacked, settlement."""

from config.choices import PaymentMethod, RefundTarget
from config.records import RecordKind
from kiosk.flow import Notice, Outcome, State, Timer
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.money import Money
from tests.kiosk.flow_harness import Harness, bill, details, purchase_bill, yuan


def test_bill_paid_in_cash_with_excess_to_account() -> None:
    h = Harness()
    h.to_identify()
    out = h.send(e.AccountEntered("1234567890"))
    assert h.of(c.LookUpBill, out) == [c.LookUpBill("electricity", "1234567890")]
    assert h.current() is State.LOOKING_UP
    h.send(e.BillFound(bill(due="123.45")), e.AmountChosen(yuan("123.45")))
    out = h.send(e.MethodChosen(PaymentMethod.CASH))
    enable = h.of(c.EnableAcceptor, out)[0]
    assert enable.limit == yuan("223.45")  # due + ¥100 of allowed overpay
    assert yuan("100") in enable.denominations

    out = h.send(e.NoteEscrowed(yuan("100")))
    assert [type(x) for x in out if not isinstance(x, c.Show)] == [c.JournalRecord, c.StackNote]
    assert h.flow.view().paid == Money(0)  # escrow is not credit
    assert h.flow.view().escrow == yuan("100")

    out = h.send(e.NoteStacked(yuan("100")))
    assert isinstance(out[0], c.JournalRecord) and out[0].kind is RecordKind.NOTE_STACKED
    assert h.flow.view().paid == yuan("100")

    h.insert("50")
    assert h.current() is State.COMPLETING
    [done] = h.journal(RecordKind.PAYMENT_COMPLETED)
    assert done.data["amount"] == yuan("123.45").to_json()
    assert done.data["tendered"] == yuan("150").to_json()
    assert done.data["excess"] == yuan("26.55").to_json()
    assert done.data["excess_to"] == "account_credit"
    assert done.transaction is not None
    assert h.of(c.PrintReceipt, h.last) == [c.PrintReceipt(done.transaction)]
    assert h.of(c.DisableAcceptor, h.last)
    assert not h.of(c.PrintVoucher)

    h.send(e.ReceiptPrinted())
    assert h.current() is State.DONE
    assert h.journal(RecordKind.SESSION_CLOSED)[0].data == {"outcome": "paid"}
    h.fire()
    assert h.current() is State.ATTRACT
    assert h.ledger() == {done.session: (15000, 15000)}


def test_note_not_in_the_accepted_set_is_returned() -> None:
    h = Harness()
    h.to_cash()
    out = h.send(e.NoteEscrowed(yuan("2")))
    assert h.of(c.ReturnNote, out) == [c.ReturnNote(yuan("2"))]
    assert not h.of(c.StackNote, out)
    assert h.flow.view().notice is Notice.NOTE_NOT_ACCEPTED
    assert h.journal(RecordKind.NOTE_RETURNED)[0].data["why"] == "not_accepted"


def test_note_over_the_limit_is_returned() -> None:
    h = Harness()
    h.to_cash(bill(due="1990.00"))  # limit: the ¥2,000 session cap
    h.insert(*["100"] * 19, "50")
    out = h.send(e.NoteEscrowed(yuan("100")))  # ¥2,050 > ¥2,000
    assert h.of(c.ReturnNote, out) == [c.ReturnNote(yuan("100"))]
    assert h.flow.view().notice is Notice.NOTE_OVER_LIMIT
    assert h.journal(RecordKind.NOTE_RETURNED)[0].data["why"] == "over_limit"
    h.insert("20", "20")
    assert h.current() is State.COMPLETING


def test_session_cap_limits_cash() -> None:
    h = Harness()
    h.to_cash(bill(due="1990.00"))
    enable = h.of(c.EnableAcceptor, h.last)[0]
    assert enable.limit == yuan("2000")  # the session cap, below due + overpay


def test_second_escrow_while_one_is_held_is_returned() -> None:
    h = Harness()
    h.to_cash()
    h.send(e.NoteEscrowed(yuan("10")))
    out = h.send(e.NoteEscrowed(yuan("20")))
    assert h.of(c.ReturnNote, out) == [c.ReturnNote(yuan("20"))]
    assert h.flow.view().escrow == yuan("10")


def test_returned_note_is_not_credit() -> None:
    h = Harness()
    h.to_cash()
    h.send(e.NoteEscrowed(yuan("10")), e.NoteReturned(yuan("10")))
    h.send(e.CancelPressed())
    assert h.current() is State.CANCELLED
    assert not h.journal(RecordKind.CREDIT_SETTLED)
    assert not h.journal(RecordKind.NOTE_STACKED)


def test_cancel_after_stacking_credits_the_account() -> None:
    h = Harness()
    h.to_cash()
    h.insert("50", "20")
    h.send(e.CancelPressed())
    [credit] = h.journal(RecordKind.CREDIT_SETTLED)
    assert credit.data["amount"] == yuan("70").to_json()
    assert credit.data["to"] == "account_credit"
    assert credit.data["account"] == "1234567890"
    assert h.current() is State.CANCELLED
    view = h.flow.view()
    assert (view.credited, view.credited_to, view.outcome) == (
        yuan("70"),
        RefundTarget.ACCOUNT_CREDIT,
        Outcome.CANCELLED,
    )
    assert not h.of(c.PrintVoucher)


def test_cancel_on_parking_prints_a_voucher() -> None:
    h = Harness()
    h.to_cash(bill("parking", "202611240001", "12.00"))
    h.insert("10")
    h.send(e.CancelPressed())
    [credit] = h.journal(RecordKind.CREDIT_SETTLED)
    assert credit.data["to"] == "voucher"
    assert h.of(c.PrintVoucher, h.last) == [c.PrintVoucher(credit.transaction, yuan("10"))]  # type: ignore[arg-type]


def test_parking_excess_is_a_voucher() -> None:
    h = Harness()
    h.to_cash(bill("parking", "202611240001", "12.00"))
    h.insert("20")
    [done] = h.journal(RecordKind.PAYMENT_COMPLETED)
    assert done.data["excess_to"] == "voucher"
    vouchers = h.of(c.PrintVoucher, h.last)
    assert vouchers == [c.PrintVoucher(done.transaction, yuan("8"))]  # type: ignore[arg-type]
    # the receipt first, then the voucher
    assert h.last.index(vouchers[0]) > h.last.index(h.of(c.PrintReceipt, h.last)[0])


def test_walk_away_asks_then_credits() -> None:
    h = Harness()
    h.to_cash()
    h.insert("20")
    out = h.fire()
    assert h.current() is State.ARE_YOU_THERE
    assert h.of(c.DisableAcceptor, out)
    out = h.send(e.ScreenTouched())
    assert h.current() is State.CASH_INSERTING
    assert h.of(c.EnableAcceptor, out)[0].limit == yuan("203.45")
    h.fire()
    h.fire()
    assert h.current() is State.TIMED_OUT
    [credit] = h.journal(RecordKind.CREDIT_SETTLED)
    assert credit.data["reason"] == "timed_out"
    assert h.journal(RecordKind.SESSION_CLOSED)[0].data == {"outcome": "timed_out"}
    h.fire()
    assert h.current() is State.ATTRACT


def test_note_stacked_during_are_you_there_counts() -> None:
    h = Harness()
    h.to_cash(bill(due="20.00"))
    h.send(e.NoteEscrowed(yuan("20")))
    h.fire()  # are you there? the note is already being stacked
    h.send(e.NoteStacked(yuan("20")))
    assert h.current() is State.COMPLETING
    assert h.ledger()[h.journal(RecordKind.PAYMENT_COMPLETED)[0].session] == (2000, 2000)


def test_late_stack_after_cancel_is_credited() -> None:
    h = Harness()
    h.to_cash()
    h.insert("10")
    h.send(e.NoteEscrowed(yuan("50")))
    h.send(e.CancelPressed())  # the ¥50 is already on its way into the cashbox
    h.send(e.NoteStacked(yuan("50")))
    credits = [j.data["amount"] for j in h.journal(RecordKind.CREDIT_SETTLED)]
    assert credits == [yuan("10").to_json(), yuan("50").to_json()]
    assert h.flow.view().credited == yuan("60")
    assert all(stacked == settled for stacked, settled in h.ledger().values())


def test_stray_note_with_no_session_gets_a_voucher() -> None:
    h = Harness()
    h.send(e.NoteStacked(yuan("100")))
    [credit] = h.journal(RecordKind.CREDIT_SETTLED)
    assert credit.data["to"] == "voucher"
    assert h.of(c.PrintVoucher)
    assert h.journal(RecordKind.SESSION_CLOSED)
    assert h.current() is State.ATTRACT


def test_escrow_when_not_taking_cash_is_returned() -> None:
    h = Harness()
    out = h.send(e.NoteEscrowed(yuan("100")))
    assert h.of(c.ReturnNote, out) == [c.ReturnNote(yuan("100"))]


def test_acceptor_fault_settles_and_hides_cash() -> None:
    h = Harness()
    h.to_cash()
    h.insert("50")
    h.send(e.NoteEscrowed(yuan("20")))
    out = h.send(e.AcceptorFailed("jam in acceptor"))
    assert h.of(c.DisableAcceptor, out)  # inhibited once it recovers, until a session wants it
    [fault] = h.journal(RecordKind.ACCEPTOR_FAULT)
    assert fault.data == {"reason": "jam in acceptor", "escrow": yuan("20").to_json()}
    assert h.current() is State.CANCELLED
    assert h.flow.view().notice is Notice.ACCEPTOR_FAULT
    assert h.journal(RecordKind.CREDIT_SETTLED)[0].data["amount"] == yuan("50").to_json()
    h.send(e.CancelPressed(), e.StartPressed(), e.ServiceChosen("electricity"))
    assert PaymentMethod.CASH not in h.flow.offered_methods()


def test_finish_early_pays_part_where_allowed() -> None:
    h = Harness()
    h.to_cash(bill(due="123.45"))  # electricity allows instalments, minimum ¥10
    h.insert("50")
    h.send(e.CashFinishPressed())
    [done] = h.journal(RecordKind.PAYMENT_COMPLETED)
    assert done.data["amount"] == yuan("50").to_json()
    assert details(done)["partial"] is True


def test_finish_early_refused_below_minimum_or_without_partial() -> None:
    h = Harness()
    h.to_cash(bill(due="123.45"))
    h.insert("5")
    h.send(e.CashFinishPressed())
    assert h.current() is State.CASH_INSERTING
    assert h.flow.view().notice is Notice.INSERT_MORE

    gas = Harness()
    gas.to_cash(bill("gas", "123456789", "80.00"))
    gas.insert("50")
    gas.send(e.CashFinishPressed())
    assert gas.current() is State.CASH_INSERTING
    assert gas.flow.view().notice is Notice.INSERT_MORE


def test_back_from_cash_only_before_any_note() -> None:
    h = Harness()
    h.to_cash()
    out = h.send(e.BackPressed())
    assert h.current() is State.CHOOSE_METHOD
    assert h.of(c.DisableAcceptor, out)
    h.send(e.MethodChosen(PaymentMethod.CASH))
    h.insert("10")
    h.send(e.BackPressed())
    assert h.current() is State.CASH_INSERTING


def test_stale_timer_is_ignored() -> None:
    h = Harness()
    h.to_cash()
    stale = h.token()
    h.send(e.ScreenTouched())  # re-arms the state timer
    assert h.send(e.TimerFired(Timer.STATE, stale)) == []
    assert h.current() is State.CASH_INSERTING


def test_limit_shrinks_as_notes_are_stacked() -> None:
    h = Harness()
    h.to_cash(bill(due="123.45"))
    out = h.send(e.NoteEscrowed(yuan("100")), e.NoteStacked(yuan("100")))
    assert h.of(c.EnableAcceptor, out)[-1].limit == yuan("123.45")  # 223.45 - 100


def test_a_note_credited_earlier_in_the_session_does_not_pay_again() -> None:
    """Found by the property test: ¥50 stacked while the customer was choosing a
    method went to the account; a later ¥1 must not complete a ¥50 payment."""
    h = Harness()
    h.send(e.AccountCardRead("electricity", "1234567890"), e.BillFound(purchase_bill()))
    h.send(e.AmountChosen(yuan("50")), e.NoteStacked(yuan("50")))  # a stray note: credited
    [credit] = h.journal(RecordKind.CREDIT_SETTLED)
    assert Money.from_json(credit.data["amount"]) == yuan("50")
    h.send(e.MethodChosen(PaymentMethod.CASH), e.NoteStacked(yuan("1")))
    assert h.journal(RecordKind.PAYMENT_COMPLETED) == [] and h.current() is State.CASH_INSERTING
    h.send(e.NoteStacked(yuan("50")))
    [done] = h.journal(RecordKind.PAYMENT_COMPLETED)
    assert Money.from_json(done.data["tendered"]) == yuan("51")
