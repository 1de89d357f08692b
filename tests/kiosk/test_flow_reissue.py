"""Earlier purchases the server says never reached the account card: written
when the card is next inserted, each reported once, and the customer told."""

from __future__ import annotations

import dataclasses
from uuid import UUID

from config.choices import PaymentMethod
from config.records import RecordKind
from kiosk.bills import Bill, CardReissue
from kiosk.flow import State
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow.states import Notice
from tests.kiosk.flow_harness import Harness, purchase_bill, yuan

EARLIER = UUID("6f1d3c56-0000-4000-8000-000000000001")
OLDER = UUID("6f1d3c56-0000-4000-8000-000000000002")


def with_reissues(*transactions: UUID) -> Bill:
    missed = tuple(CardReissue(t, "175.17", yuan("100")) for t in transactions)
    return dataclasses.replace(purchase_bill(), card_reissues=missed)


def by_card(h: Harness, bill: Bill) -> list[c.Command]:
    h.send(e.AccountCardRead("electricity", bill.account))
    return h.send(e.BillFound(bill))


def test_the_card_gets_what_it_missed_and_the_server_hears_it_once() -> None:
    h = Harness()
    out = by_card(h, with_reissues(EARLIER, OLDER))
    loads = h.of(c.LoadAccountCard, out)
    assert [(x.transaction, x.units, x.amount) for x in loads] == [
        (EARLIER, "175.17", yuan("100")), (OLDER, "175.17", yuan("100")),
    ]  # fmt: skip
    view = h.flow.view()
    assert (view.state, view.notice, view.card_writing) == (
        State.BILL_SHOWN, Notice.CARD_REISSUING, True,
    )  # fmt: skip
    h.send(e.AccountCardLoaded(str(EARLIER), 2))
    assert h.flow.view().notice is Notice.CARD_REISSUING  # one still to go
    h.send(e.AccountCardLoaded(str(OLDER), 3))
    view = h.flow.view()
    assert (view.notice, view.card_writing) == (Notice.CARD_REISSUED, False)
    reissued = h.journal(RecordKind.CARD_REISSUED)
    assert [(r.data["transaction"], r.data["sequence"]) for r in reissued] == [
        (str(EARLIER), 2), (str(OLDER), 3),
    ]  # fmt: skip
    assert all(r.transaction is not None for r in reissued)  # uploaded: the server stops
    assert h.journal(RecordKind.CARD_LOADED) == []


def test_a_reissue_that_fails_again_stays_with_the_server() -> None:
    h = Harness()
    by_card(h, with_reissues(EARLIER))
    h.send(e.AccountCardLoadFailed(str(EARLIER), "CardRemoved: the card was removed"))
    view = h.flow.view()
    assert (view.notice, view.card_writing) == (Notice.CARD_NOT_LOADED, False)
    assert h.journal(RecordKind.CARD_REISSUED) == []
    [failed] = h.journal(RecordKind.CARD_LOAD_FAILED)
    assert failed.data["transaction"] == str(EARLIER)


def test_a_typed_account_does_not_write_a_card_that_is_not_there() -> None:
    h = Harness()
    h.to_identify()
    h.send(e.AccountEntered("1234567890"))
    out = h.send(e.BillFound(with_reissues(EARLIER)))
    assert h.of(c.LoadAccountCard, out) == []
    assert h.flow.view().notice is None


def test_buying_while_an_earlier_purchase_is_written_writes_both() -> None:
    h = Harness()
    by_card(h, with_reissues(EARLIER))
    h.send(e.AmountChosen(yuan("50")), e.MethodChosen(PaymentMethod.CASH))
    h.insert("50")
    loads = h.of(c.LoadAccountCard)
    assert len(loads) == 2 and loads[0].transaction == EARLIER
    h.send(e.ReceiptPrinted())
    assert h.current() is State.DONE and h.flow.view().card_writing
    h.send(e.AccountCardLoaded(str(EARLIER), 2))
    assert h.flow.view().card_writing  # this purchase is still being written
    h.send(e.AccountCardLoaded(str(loads[1].transaction), 3))
    assert not h.flow.view().card_writing
    assert len(h.journal(RecordKind.CARD_REISSUED)) == len(h.journal(RecordKind.CARD_LOADED)) == 1
