"""The postings of every record kind a kiosk uploads, worked by hand: each
case is the record, what the server knows, and the entries it must post."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from central.books import chart
from central.books.postings import (
    INSTRUCTIONS,
    RULES,
    UNRESOLVED,
    Claim,
    Facts,
    Line,
    Refused,
    post,
)  # fmt: skip
from config.records import TRANSACTION_KINDS


def fen(minor: int) -> dict[str, Any]:
    return {"minor": minor, "currency": "CNY"}


def paid(method: str, amount: int, *, excess: int = 0, to: str | None = None,
         service: str = "electricity", account: str | None = "3301234567",
         details: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """A payment record; an electronic one names its order or card payment, Q1."""
    named = {} if method == "cash" else {"reference" if method == "card" else "order_id": "Q1"}
    return {
        "service": service, "account": account, "method": method, "amount": fen(amount),
        "tendered": fen(amount + excess), "excess": fen(excess),
        "excess_to": to if excess else None, "details": {**named, **(details or {})},
    }  # fmt: skip


def believed(kind: str, data: dict[str, Any], facts: Facts) -> Facts:
    """The server's own order or authorization for an electronic payment: paid,
    for that amount, by that kiosk, claimed by nothing else."""
    method = data.get("method")
    if kind != "payment_completed" or method == "cash" or facts.claim is not None:
        return facts
    state = "approved" if method == "card" else "paid"
    return replace(facts, claim=Claim("Q1", True, facts.kiosk, state, data["amount"]["minor"]))


K = "K-1"
UNITS = {"units": "185.87"}
BILL = Facts(K, known=True, owed=30628)
CASES: list[tuple[str, str, dict[str, Any], Facts, list[Line]]] = [
    ("a bill paid in full in cash, the change to the account", "payment_completed",
     paid("cash", 30628, excess=372, to="account_credit"), BILL,
     [Line("drawer:K-1", debit=31000), Line("receivable:electricity:3301234567", credit=30628),
      Line("credit:electricity:3301234567", credit=372)]),
    ("a part payment reduces what is owed, nothing parked", "payment_completed",
     paid("wechat", 5000), BILL,
     [Line("unapplied:wechat", debit=5000),
      Line("receivable:electricity:3301234567", credit=5000)]),
    ("paying more than is owed by QR: the rest is credit", "payment_completed",
     paid("alipay", 40000), BILL,
     [Line("unapplied:alipay", debit=40000),
      Line("receivable:electricity:3301234567", credit=30628),
      Line("credit:electricity:3301234567", credit=9372)]),
    ("the credit is set against the bill, the payment pays the rest", "payment_completed",
     paid("cash", 30256), Facts(K, known=True, owed=30628, credit=372),
     [Line("drawer:K-1", debit=30256), Line("credit:electricity:3301234567", debit=372),
      Line("receivable:electricity:3301234567", credit=30628)]),
    ("a part payment spends the credit too, but no coupon", "payment_completed",
     paid("wechat", 5000), Facts(K, known=True, owed=30628, coupons=500, credit=372),
     [Line("unapplied:wechat", debit=5000), Line("credit:electricity:3301234567", debit=372),
      Line("receivable:electricity:3301234567", credit=5372)]),
    ("paying the bill off spends the coupon, then the credit", "payment_completed",
     paid("cash", 29756), Facts(K, known=True, owed=30628, coupons=500, credit=372),
     [Line("drawer:K-1", debit=29756), Line("credit:electricity:3301234567", debit=372),
      Line("discounts:electricity", debit=500),
      Line("receivable:electricity:3301234567", credit=30628)]),
    ("a coupon worth more than is owed spends only what is owed", "payment_completed",
     paid("cash", 0), Facts(K, known=True, owed=300, coupons=500),
     [Line("discounts:electricity", debit=300),
      Line("receivable:electricity:3301234567", credit=300)]),
    ("a payment to an account with nothing owed is its credit", "payment_completed",
     paid("cash", 2000, service="gas", account="330123456"), Facts(K, known=True),
     [Line("drawer:K-1", debit=2000), Line("credit:gas:330123456", credit=2000)]),
    ("a bank card payment clears through the acquirer", "payment_completed",
     paid("card", 16640, service="water", account="33012345"), Facts(K, known=True, owed=16640),
     [Line("unapplied:acquirer", debit=16640), Line("receivable:water:33012345", credit=16640)]),
    ("a prepaid purchase is revenue, never a money balance", "payment_completed",
     paid("cash", 10000, details={"units": "185.18"}), Facts(K, known=True),
     [Line("drawer:K-1", debit=10000), Line("revenue:electricity", credit=10000)]),
    ("a purchase priced tier by tier is revenue per tier", "payment_completed",
     paid("wechat", 10000, service="gas", account="330123456",
          details={"units": "36.71", "tiers": [
              {"tier": 1, "units": "10.00", "price": "2.61", "fen": 2610},
              {"tier": 2, "units": "26.11", "price": "2.83", "fen": 7390}]}),
     Facts(K, known=True),
     [Line("unapplied:wechat", debit=10000), Line("revenue:gas:1", credit=2610),
      Line("revenue:gas:2", credit=7390)]),
    ("tiers that do not add up to the sale: the service's whole", "payment_completed",
     paid("cash", 10000, service="gas", account="330123456",
          details={"units": "36.71", "tiers": [{"tier": 1, "fen": 2610}]}),
     Facts(K, known=True),
     [Line("drawer:K-1", debit=10000), Line("revenue:gas", credit=10000)]),
    ("a parking fee has no bill at the server: revenue", "payment_completed",
     paid("unionpay_qr", 1500, service="parking", account="沪A12345"), Facts(K),
     [Line("unapplied:unionpay", debit=1500), Line("revenue:parking", credit=1500)]),
    ("the change on a voucher is a liability", "payment_completed",
     paid("cash", 1500, excess=500, to="voucher", service="parking", account=None), Facts(K),
     [Line("drawer:K-1", debit=2000), Line("revenue:parking", credit=1500),
      Line("vouchers", credit=500)]),
    ("a cancelled session's cash to the account", "credit_settled",
     {"service": "gas", "account": "77001", "amount": fen(5000), "to": "account_credit",
      "reason": "cancelled"}, Facts(K),
     [Line("drawer:K-1", debit=5000), Line("credit:gas:77001", credit=5000)]),
    ("a late note on a voucher", "credit_settled",
     {"service": None, "account": None, "amount": fen(1000), "to": "voucher",
      "reason": "late_note"}, Facts(K),
     [Line("drawer:K-1", debit=1000), Line("vouchers", credit=1000)]),
    ("a collection moves the drawer into transit", "cash_collected",
     {"total": fen(123400), "count": 20, "counted": None, "discrepancy": None}, Facts(K),
     [Line("in_transit:K-1", debit=123400), Line("drawer:K-1", credit=123400)]),
    ("a purchase the card refused is owed as units", "card_load_failed",
     {"transaction": "T1", "service": "electricity", "account": "3301234568",
      "reason": "CardRemoved"}, Facts(K, purchase=10000, purchase_details=UNITS),
     [Line("revenue:electricity", debit=10000),
      Line("card_pending:electricity:3301234568", credit=10000)]),
    ("a tiered purchase the card refused is undone per tier", "card_load_failed",
     {"transaction": "T2", "service": "gas", "account": "330123456", "reason": "CardRemoved"},
     Facts(K, purchase=10000, purchase_details={"units": "36.71", "tiers": [
         {"tier": 1, "fen": 2610}, {"tier": 2, "fen": 7390}]}),
     [Line("revenue:gas:1", debit=2610), Line("revenue:gas:2", debit=7390),
      Line("card_pending:gas:330123456", credit=10000)]),
    ("... and earned once it is written", "card_reissued",
     {"transaction": "T1", "sequence": 4, "service": "electricity", "account": "3301234568"},
     Facts(K, purchase=10000, purchase_details=UNITS, pending=True),
     [Line("card_pending:electricity:3301234568", debit=10000),
      Line("revenue:electricity", credit=10000)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "kind", "data", "facts", "lines"), CASES, ids=[c[0] for c in CASES]
)
def test_posting(
    name: str, kind: str, data: dict[str, Any], facts: Facts, lines: list[Line]
) -> None:
    posted = post(kind, data, believed(kind, data, facts))
    assert posted == lines
    assert sum(x.debit for x in posted) == sum(x.credit for x in posted)
    assert all(chart.kind_of(x.account) for x in posted)


def test_every_kind_a_kiosk_uploads_is_handled_by_name() -> None:
    uploaded = {kind.value for kind in TRANSACTION_KINDS}
    assert uploaded == set(RULES) | INSTRUCTIONS | {UNRESOLVED}
    for kind in INSTRUCTIONS:
        assert post(kind, {"order_id": "Q1", "reason": "late_payment"}, Facts(K)) == []


@pytest.mark.parametrize(
    ("kind", "data", "facts", "why"),
    [
        ("note_stacked", {}, Facts(K), "do not take a 'note_stacked'"),
        ("payment_completed", paid("cash", 100) | {"amount": {"minor": 1.5}}, BILL, "amount"),
        ("payment_completed", paid("cash", 100) | {"amount": {"minor": -100}}, BILL, "amount"),
        ("payment_completed", paid("bitcoin", 100), BILL, "not a payment method"),
        ("payment_completed", paid("cash", 100, excess=5, to="pocket"), BILL, "excess_to"),
        ("payment_completed", paid("cash", 100, excess=5, to="account_credit", account=None),
         Facts(K), "needs an account"),
        ("credit_settled", {"amount": fen(100), "to": "account_credit"}, Facts(K),
         "needs an account"),
        ("card_reissued", {"transaction": "T9", "service": "electricity", "account": "1"},
         Facts(K), "not a payment this server has"),
        ("card_load_failed", {"transaction": "T9", "service": "electricity", "account": "1"},
         Facts(K, purchase=10000, purchase_details={}), "bought no units"),
        ("cash_collected", {"total": "a lot"}, Facts(K), "total"),
    ],
)  # fmt: skip
def test_a_record_the_books_cannot_post_is_refused_by_name(
    kind: str, data: dict[str, Any], facts: Facts, why: str
) -> None:
    with pytest.raises(Refused, match=why):
        post(kind, data, facts)


@pytest.mark.parametrize(
    ("kind", "pending"), [("card_load_failed", True), ("card_reissued", False)]
)
def test_a_card_load_said_again_posts_nothing(kind: str, pending: bool) -> None:
    """Recovery says a failed load again; a reissue of a purchase that never
    failed (or was written already) owes nothing back."""
    data = {"transaction": "T1", "service": "electricity", "account": "3301234568"}
    facts = Facts(K, purchase=10000, purchase_details=UNITS, pending=pending)
    assert post(kind, data, facts) == []


CLAIMED = paid("wechat", 30128)


@pytest.mark.parametrize(
    ("claim", "why"),
    [
        (None, "names no order"),
        (Claim("Q1"), "not one this server has"),
        (Claim("Q1", True, "K-2", "paid", 30128), "made by another kiosk"),
        (Claim("Q1", True, K, "created", 30128), "created, not paid"),
        (Claim("Q1", True, K, "refunded", 30128), "refunded, not paid"),
        (Claim("Q1", True, K, "paid", 100), "100 fen paid, 30128 claimed"),
        (Claim("Q1", True, K, "paid", 30128, "T0"), "already settled by T0"),
    ],
)  # fmt: skip
def test_an_electronic_payment_the_server_did_not_see_is_refused(
    claim: Claim | None, why: str
) -> None:
    """A stolen kiosk credential uploading "paid by WeChat" for an order that
    never was, or was someone else's, or was paid already, clears no bill."""
    with pytest.raises(Refused, match=why):
        post("payment_completed", CLAIMED, replace(BILL, claim=claim))


def test_a_card_payment_needs_its_approval() -> None:
    data = paid("card", 16640)
    for state in ("declined", "reversed"):
        with pytest.raises(Refused, match=f"{state}, not paid"):
            post("payment_completed", data, replace(BILL, claim=Claim("Q1", True, K, state, 16640)))


def test_an_unresolved_order_the_server_saw_paid_completes_as_the_payment() -> None:
    data = {"order_id": "Q1", "service": "electricity", "account": "3301234567",
            "amount": fen(30128), "method": "wechat", "refund_to": "account_credit",
            "recovered": True}  # fmt: skip
    paid = replace(BILL, claim=Claim("Q1", True, K, "paid", 30128))
    assert post(UNRESOLVED, data, paid) == [
        Line("unapplied:wechat", debit=30128),
        Line("receivable:electricity:3301234567", credit=30128),
    ]
    for claim in (Claim("Q1", True, K, "created", 30128), None,
                  Claim("Q1", True, K, "paid", 30128, "T0")):  # fmt: skip
        assert post(UNRESOLVED, data, replace(BILL, claim=claim)) == []  # closed, not paid
    live = {k: v for k, v in data.items() if k != "recovered"}  # the customer was told
    assert post(UNRESOLVED, live, paid) == []  # "cancelled": refunded, never completed


def test_balances_grow_on_their_own_side() -> None:
    assert chart.balance("drawer:K-1", 500, 200) == 300
    assert chart.balance("credit:gas:1", 100, 400) == 300
    assert chart.balance("revenue:parking", 0, 1500) == 1500
    with pytest.raises(KeyError):
        chart.kind_of("pocket:K-1")
