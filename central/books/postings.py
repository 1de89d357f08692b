"""What each record a kiosk uploads posts to the books: one balanced set of
lines per record, from the record and what the server knows (``Facts``).

Pure: no database. Every kind a kiosk uploads is handled here by name — with
entries, or as an instruction that moves no money itself — and any other
kind is refused (``Refused``), never ignored.

* ``payment_completed``: the money's source (the kiosk's drawer for cash; for
  an electronic payment what the server holds for its order since the
  provider or acquirer took it, ``unapplied:<provider>``) is debited. An electronic
  payment is believed only when the server's own order or authorization says
  it was paid, for that amount, to that kiosk, once (``Claim``). A payment to
  an account the server keeps settles what it owes: the coupons (to
  ``discounts``) when the payment, the coupons and the credit cover all of
  it, then the account's credit (预存款), then the payment; what the
  payment leaves over is the account's credit. A prepaid purchase (units
  bought) or a fee with no account at the server (parking) credits revenue.
  Cash tendered over the payment goes to the account's credit or to the
  voucher liability, as the kiosk said.
* ``credit_settled``: cash of a session that paid nothing, to the account's
  credit or a voucher.
* ``cash_collected``: the drawer's content, as the journal counted it, goes
  into transit to the cash centre.
* ``card_load_failed`` / ``card_reissued``: a purchase the card did not take
  is owed as units (revenue back to ``card_pending``) until it is written;
  once per purchase, however often a kiosk says so.
* ``qr_unresolved``: from a kiosk that restarted while its customer paid, the
  session's payment if the server saw its order paid; else an instruction
  (close the order, or refund it if paid).
* ``qr_refund``, ``card_reversal``: instructions; the money moves when the
  provider or acquirer carries them out, and that event posts.
  ``maintenance``: no money.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from central.books import chart
from config.records import RecordKind

INSTRUCTIONS = frozenset(
    {
        RecordKind.QR_REFUND.value,  # the refund's own posting comes with the provider's refund
        RecordKind.CARD_REVERSAL.value,  # likewise the acquirer's void
        RecordKind.MAINTENANCE.value,  # no money
    }
)
UNRESOLVED = RecordKind.QR_UNRESOLVED.value
QR_PROVIDERS = {"wechat": "wechat", "alipay": "alipay", "unionpay_qr": "unionpay"}


class Refused(ValueError):
    """A record the books cannot post, and why (the upload is refused with it)."""


@dataclass(frozen=True, slots=True)
class Line:
    account: str
    debit: int = 0
    credit: int = 0


@dataclass(frozen=True, slots=True)
class Claim:
    """What the server itself knows of the order (QR) or authorization (card)
    an electronic payment names."""

    reference: str
    known: bool = False  # the server has it
    kiosk: str | None = None  # the kiosk that made it
    state: str = ""  # paid, created, cancelled, refunded; approved, declined, reversed
    amount: int = 0  # fen
    settled_by: str | None = None  # a payment that claimed it before


@dataclass(frozen=True, slots=True)
class Facts:
    """What the server knows when the record arrives."""

    kiosk: str
    known: bool = False  # the account is one the server keeps (bills, credit)
    owed: int = 0  # the account's receivable before this record (fen)
    coupons: int = 0  # the account's unspent coupons (fen)
    credit: int = 0  # the account's credit, 预存款 (fen)
    purchase: int | None = None  # a card load's purchase amount, from its payment
    purchase_details: Mapping[str, Any] | None = None  # and what it bought (units, tiers)
    pending: bool = False  # that purchase waits for the card already
    claim: Claim | None = None  # an electronic payment's order or authorization
    drawer: int | None = None  # the kiosk's drawer (fen), read with the account's balances


def post(kind: str, data: Mapping[str, Any], facts: Facts) -> list[Line]:
    """The lines ``kind`` posts; balanced (debits equal credits) or Refused."""
    if kind in INSTRUCTIONS:
        return []
    rule = _unresolved if kind == UNRESOLVED else RULES.get(kind)
    if rule is None:
        raise Refused(f"the books do not take a {kind!r} record")
    lines = [line for line in rule(data, facts) if line.debit or line.credit]
    debits, credits = sum(x.debit for x in lines), sum(x.credit for x in lines)
    if debits != credits:
        raise Refused(f"{kind} would post {debits} fen of debits against {credits} of credits")
    return lines


def _fen(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    minor = value.get("minor") if isinstance(value, Mapping) else None
    if not isinstance(minor, int) or isinstance(minor, bool) or minor < 0:
        raise Refused(f"{key}: not an amount in fen: {value!r}")
    return minor


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise Refused(f"{key}: missing")
    return value


def _payment(data: Mapping[str, Any], facts: Facts) -> list[Line]:
    method = _text(data, "method")
    amount = _fen(data, "amount")
    service = _text(data, "service")
    account = data.get("account") if isinstance(data.get("account"), str) else None
    excess = _fen(data, "excess") if data.get("excess") is not None else 0
    lines = [_source(method, facts.kiosk, amount + excess if method == "cash" else amount)]
    if method != "cash":
        _believe(method, amount, facts)
    details = data.get("details")
    purchase = isinstance(details, Mapping) and "units" in details
    if purchase or account is None or not facts.known:
        lines += earned(service, amount, details)
    else:
        lines += _settle(service, account, amount, facts)
    if excess:
        lines.append(_refund_target(data.get("excess_to"), service, account, excess))
    return lines


def _settle(service: str, account: str, amount: int, facts: Facts) -> list[Line]:
    """A bill payment: the coupons first when everything owed is covered (a
    coupon is for paying the bill off), then the account's credit, then the
    payment; what the payment leaves over is the account's credit."""
    owed, credit = max(facts.owed, 0), max(facts.credit, 0)
    coupons = min(max(facts.coupons, 0), owed)
    spent = min(credit, owed - coupons)
    if amount + spent + coupons < owed:
        coupons, spent = 0, min(credit, owed)
    paid = min(amount, owed - spent - coupons)
    receivable, credit_account = chart.receivable(service, account), chart.credit(service, account)
    return [
        Line(credit_account, debit=spent),
        Line(chart.discounts(service), debit=coupons),
        Line(receivable, credit=spent + coupons + paid),
        Line(credit_account, credit=amount - paid),
    ]


def earned(service: str, fen: int, details: object) -> list[Line]:
    """Revenue for a sale: per tier when the kiosk priced it tier by tier (its
    ``tiers``, whose amounts add up to the sale), else the service's whole."""
    tiers = details.get("tiers") if isinstance(details, Mapping) else None
    split: list[tuple[int, int]] = []
    for item in tiers if isinstance(tiers, list) else []:
        tier = item.get("tier") if isinstance(item, Mapping) else None
        part = item.get("fen") if isinstance(item, Mapping) else None
        if not _whole(tier) or not _whole(part):
            split = []
            break
        split.append((tier, part))
    if not split or sum(part for _, part in split) != fen or min(p for _, p in split) < 0:
        return [Line(chart.revenue(service), credit=fen)]
    return [Line(chart.revenue(service, tier), credit=part) for tier, part in split]


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _source(method: str, kiosk: str, fen: int) -> Line:
    """Cash from the kiosk's drawer; an electronic payment from what the server
    holds for its order since the provider or acquirer took it (``events``)."""
    if method == "cash":
        return Line(chart.drawer(kiosk), debit=fen)
    if method == "card":
        return Line(chart.unapplied(chart.ACQUIRER), debit=fen)
    provider = QR_PROVIDERS.get(method)
    if provider is None:
        raise Refused(f"method: not a payment method: {method!r}")
    return Line(chart.unapplied(provider), debit=fen)


def _believe(method: str, amount: int, facts: Facts) -> None:
    """An electronic payment stands only on what the server saw itself: its
    order paid (or its card payment approved), for that amount, by that kiosk,
    and claimed by no other payment."""
    claim = facts.claim
    what = "card payment" if method == "card" else "order"
    if claim is None:
        raise Refused(f"a {method} payment that names no {what}")
    if not claim.known:
        raise Refused(f"{what} {claim.reference!r}: not one this server has")
    if claim.kiosk != facts.kiosk:
        raise Refused(f"{what} {claim.reference}: made by another kiosk ({claim.kiosk})")
    if claim.state not in ("paid", "approved"):
        raise Refused(f"{what} {claim.reference}: {claim.state}, not paid")
    if claim.amount != amount:
        raise Refused(f"{what} {claim.reference}: {claim.amount} fen paid, {amount} claimed")
    if claim.settled_by is not None:
        raise Refused(f"{what} {claim.reference}: already settled by {claim.settled_by}")


def _refund_target(to: object, service: str, account: str | None, fen: int) -> Line:
    if to == "voucher":
        return Line(chart.VOUCHERS, credit=fen)
    if to == "account_credit":
        if account is None:
            raise Refused("an account credit needs an account")
        return Line(chart.credit(service, account), credit=fen)
    raise Refused(f"excess_to: not where money can go: {to!r}")


def _unresolved(data: Mapping[str, Any], facts: Facts) -> list[Line]:
    """A kiosk that restarted while its customer paid a QR code (its recovery
    says ``recovered``): if the server saw the order paid, the payment
    completes — posted as the session's payment. Otherwise, and for a live
    kiosk that gave up and told its customer so, nothing moves here (the
    order is closed, or refunded if it was paid)."""
    claim = facts.claim
    if data.get("recovered") is not True:
        return []
    if claim is None or claim.state != "paid" or claim.settled_by is not None:
        return []
    if not isinstance(data.get("service"), str) or data.get("amount") is None:
        return []
    payment = {
        "service": data["service"], "account": data.get("account"), "method": data.get("method"),
        "amount": data["amount"], "details": {"order_id": claim.reference},
    }  # fmt: skip
    return _payment(payment, facts)


def _credit_settled(data: Mapping[str, Any], facts: Facts) -> list[Line]:
    amount = _fen(data, "amount")
    service = data.get("service")
    account = data.get("account")
    service = service if isinstance(service, str) else "none"
    account = account if isinstance(account, str) else None
    return [
        Line(chart.drawer(facts.kiosk), debit=amount),
        _refund_target(data.get("to"), service, account, amount),
    ]


def _collected(data: Mapping[str, Any], facts: Facts) -> list[Line]:
    total = _fen(data, "total")
    return [
        Line(chart.in_transit(facts.kiosk), debit=total),
        Line(chart.drawer(facts.kiosk), credit=total),
    ]


def _card_load(owed_as_units: bool) -> Any:
    def rule(data: Mapping[str, Any], facts: Facts) -> list[Line]:
        service, account = _text(data, "service"), _text(data, "account")
        if facts.purchase is None:
            raise Refused(f"purchase {data.get('transaction')!r}: not a payment this server has")
        if "units" not in (facts.purchase_details or {}):
            raise Refused(f"purchase {data.get('transaction')!r}: bought no units")
        if facts.pending is owed_as_units:
            return []  # said before (recovery says it again), or never owed
        pending = chart.card_pending(service, account)
        sale = earned(service, facts.purchase, facts.purchase_details)
        if owed_as_units:  # the sale is undone, per tier, and owed as units
            return [Line(x.account, debit=x.credit) for x in sale] + [
                Line(pending, credit=facts.purchase)
            ]
        return [Line(pending, debit=facts.purchase), *sale]

    return rule


RULES = {
    RecordKind.PAYMENT_COMPLETED.value: _payment,
    RecordKind.CREDIT_SETTLED.value: _credit_settled,
    RecordKind.CASH_COLLECTED.value: _collected,
    RecordKind.CARD_LOAD_FAILED.value: _card_load(owed_as_units=True),
    RecordKind.CARD_REISSUED.value: _card_load(owed_as_units=False),
}
