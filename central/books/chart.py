"""The chart of accounts. An account is named by a code, ``kind:key…``; its
kind says which side it grows on.

* ``drawer:<kiosk>``: the cash in a kiosk's cashbox (asset);
* ``in_transit:<kiosk>``: cash collected from it, not yet counted (asset);
* ``bank``: cash counted at the cash centre (asset);
* ``clearing:<provider>``: what WeChat Pay, Alipay, UnionPay or the card
  acquirer owes (asset);
* ``receivable:<service>:<account>``: what a customer account owes on its
  bills (asset);
* ``credit:<service>:<account>``: a customer's prepayment, 预存款 (liability);
* ``card_pending:<service>:<account>``: prepaid units paid for, not yet on
  the card (liability);
* ``unapplied:<provider>``: an electronic payment the provider or acquirer
  took for an order, not yet applied to a bill by a kiosk's payment (or
  refunded) (liability);
* ``vouchers``: credit vouchers printed, not yet redeemed (liability);
* ``refunds_payable``: money owed back to a payer: a late QR payment, a late
  approval (liability);
* ``revenue:<service>`` and ``revenue:<service>:<tier>``: fees earned: a
  bill's lines when issued, a purchase, a parking fee; a tiered tariff's per
  tier (income);
* ``discounts:<service>``: coupons spent against a bill (contra-income: it
  grows on the debit side and is read as less revenue);
* ``opening``: the other side of balances carried in from before the books
  (a prepayment, a bill issued earlier) (equity);
* ``over_short``: what the cash centre counted less (or more) than expected;
* ``rounding``: what rounding to the fen left over.
"""

from __future__ import annotations

ASSETS = ("drawer", "in_transit", "bank", "clearing", "receivable")
CONTRA = ("discounts",)
LIABILITIES = ("credit", "card_pending", "unapplied", "vouchers", "refunds_payable")
INCOME = ("revenue",)
EQUITY = ("opening",)
OTHER = ("over_short", "rounding")
KINDS = frozenset(ASSETS + CONTRA + LIABILITIES + INCOME + EQUITY + OTHER)

VOUCHERS = "vouchers"
REFUNDS_PAYABLE = "refunds_payable"
BANK = "bank"
OVER_SHORT = "over_short"
OPENING = "opening"
ROUNDING = "rounding"
ACQUIRER = "acquirer"  # the card acquirer's clearing account


def drawer(kiosk: str) -> str:
    return f"drawer:{kiosk}"


def in_transit(kiosk: str) -> str:
    return f"in_transit:{kiosk}"


def clearing(provider: str) -> str:
    return f"clearing:{provider}"


def unapplied(provider: str) -> str:
    return f"unapplied:{provider}"


def receivable(service: str, account: str) -> str:
    return f"receivable:{service}:{account}"


def credit(service: str, account: str) -> str:
    return f"credit:{service}:{account}"


def card_pending(service: str, account: str) -> str:
    return f"card_pending:{service}:{account}"


def revenue(service: str, tier: int | None = None) -> str:
    """A tiered tariff's revenue is kept per tier (``revenue:gas:2``)."""
    return f"revenue:{service}" if tier is None else f"revenue:{service}:{tier}"


def discounts(service: str) -> str:
    return f"discounts:{service}"


def kind_of(code: str) -> str:
    """The account's kind (the part before the first colon); KeyError if unknown."""
    kind = code.split(":", 1)[0]
    if kind not in KINDS:
        raise KeyError(f"not an account of the chart: {code!r}")
    return kind


def balance(code: str, debits: int, credits: int) -> int:
    """The balance on the side the account grows on (an asset's debits less its
    credits; a liability's or income's credits less its debits)."""
    kind = kind_of(code)
    return credits - debits if kind in LIABILITIES + INCOME + EQUITY else debits - credits
