"""The flow offline, and config bundles swapped in between sessions."""

from __future__ import annotations

from config.choices import PaymentMethod
from config.loader import defaults, merge, validate
from config.records import RecordKind
from kiosk.flow import State
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow.states import Notice
from tests.kiosk.flow_harness import Harness, details, yuan


def offline(h: Harness, allowance: str = "1000") -> None:
    h.send(e.ConnectivityChanged(online=False, offline_allowance=yuan(allowance)))


def test_offline_lookups_say_temporarily_unavailable_without_asking() -> None:
    h = Harness()
    offline(h)
    h.to_identify()
    out = h.send(e.AccountEntered("1234567890"))
    assert h.of(c.LookUpBill, out) == []
    assert (h.current(), h.flow.view().notice) == (State.IDENTIFY, Notice.SERVER_UNAVAILABLE)
    assert h.flow.view().online is False


def test_offline_account_card_buys_units_for_cash_at_the_top_tier_price() -> None:
    h = Harness()
    offline(h)
    out = h.send(e.AccountCardRead("electricity", "1234567890"))
    assert h.of(c.LookUpBill, out) == [] and h.current() is State.BILL_SHOWN
    h.send(e.AmountChosen(yuan("100")))
    assert h.flow.view().methods == (PaymentMethod.CASH,)  # card and QR need the server
    h.send(e.MethodChosen(PaymentMethod.CARD))
    assert h.flow.view().notice is Notice.METHOD_UNAVAILABLE
    h.send(e.MethodChosen(PaymentMethod.CASH))
    h.insert("100")
    [done] = h.journal(RecordKind.PAYMENT_COMPLETED)
    bought = details(done)
    assert bought["offline"] is True
    assert [t["tier"] for t in bought["tiers"]] == [3]  # never more units than paid for
    [load] = h.of(c.LoadAccountCard)
    assert load.units == bought["units"]


def test_offline_limits_per_payment_and_per_day() -> None:
    h = Harness()  # defaults: ¥200 a payment, ¥1,000 a day
    offline(h, allowance="250")
    h.send(e.AccountCardRead("electricity", "1234567890"))
    h.send(e.AmountChosen(yuan("300")))
    assert h.flow.view().notice is Notice.OFFLINE_LIMIT
    assert h.flow.view().offline_limit == yuan("200")
    h.send(e.AmountChosen(yuan("200")), e.MethodChosen(PaymentMethod.CASH))
    h.insert("100", "100")
    h.send(e.ReceiptPrinted())
    h.fire()  # done → attract
    h.send(e.AccountCardRead("electricity", "1234567890"))
    assert h.flow.view().offline_limit == yuan("50")  # what is left of today's ¥250
    h.send(e.AmountChosen(yuan("100")))
    assert h.flow.view().notice is Notice.OFFLINE_LIMIT


def test_back_online_offers_everything_again() -> None:
    h = Harness()
    offline(h)
    h.send(e.ConnectivityChanged(online=True, offline_allowance=yuan("1000")))
    out = h.send(e.AccountCardRead("electricity", "1234567890"))
    assert len(h.of(c.LookUpBill, out)) == 1


def test_new_settings_wait_until_the_customer_has_finished() -> None:
    h = Harness()
    cheaper = validate(merge(defaults(), {"services": {"electricity": {"min_payment_fen": 5000}}}))
    h.to_bill()
    h.send(e.SettingsChanged(cheaper, 7))
    assert h.flow.view().settings_version == 0
    h.send(e.AmountChosen(yuan("20")))  # the old minimum (¥10) still holds mid-session
    assert h.current() is State.CHOOSE_METHOD
    h.send(e.CancelPressed())
    h.fire()
    assert h.current() is State.ATTRACT and h.flow.view().settings_version == 7
    h.to_bill()
    h.send(e.AmountChosen(yuan("20")))
    assert h.flow.view().notice is Notice.AMOUNT_TOO_SMALL


def test_the_view_says_the_card_is_being_written_until_the_card_answers() -> None:
    h = Harness()
    offline(h)
    h.send(e.AccountCardRead("electricity", "1234567890"))
    h.send(e.AmountChosen(yuan("100")), e.MethodChosen(PaymentMethod.CASH))
    h.insert("100")
    [load] = h.of(c.LoadAccountCard)
    assert h.flow.view().card_writing is True  # "do not take the card out yet"
    h.send(e.ReceiptPrinted())
    assert h.current() is State.DONE and h.flow.view().card_writing is True
    h.send(e.AccountCardLoaded(str(load.transaction), 1))
    assert h.flow.view().card_writing is False
    assert h.flow.view().notice is None


def test_a_card_read_while_the_purchase_is_being_written_is_ignored() -> None:
    """Only the card being written can be in the reader; a read of it (the watcher
    saw it settle again) must not end the session before the write answers."""
    h = Harness()
    offline(h)
    h.send(e.AccountCardRead("electricity", "1234567890"))
    h.send(e.AmountChosen(yuan("100")), e.MethodChosen(PaymentMethod.CASH))
    h.insert("100")
    h.send(e.ReceiptPrinted())
    assert h.current() is State.DONE and h.flow.view().card_writing
    assert h.send(e.AccountCardRead("electricity", "1234567890")) == []
    assert h.current() is State.DONE and h.flow.view().card_writing
