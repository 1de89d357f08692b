"""What a screen shows: a frozen snapshot of the flow, handed out with ``Show``."""

from __future__ import annotations

from dataclasses import dataclass

from config.choices import PaymentMethod, RefundTarget
from kiosk.bills import Bill
from kiosk.flow.states import GivenBack, Notice, Outcome, State
from kiosk.money import Money


@dataclass(frozen=True, slots=True)
class View:
    state: State
    notice: Notice | None = None
    service: str | None = None
    account: str | None = None
    bill: Bill | None = None
    amount: Money | None = None  # what the customer is paying
    paid: Money | None = None  # cash stacked so far
    escrow: Money | None = None  # a note held in escrow, not yet credit
    method: PaymentMethod | None = None
    methods: tuple[PaymentMethod, ...] = ()  # methods offered now
    qr_url: str | None = None
    qr_order: str | None = None  # the provider order's id, for the customer to quote
    timeout_s: int | None = None  # seconds until this screen times out
    outcome: Outcome | None = None
    credited: Money | None = None  # cash credited after a cancel or as excess
    credited_to: RefundTarget | None = None
    given_back: GivenBack | None = None  # money that came late: checking, refunding, …
    transaction: str | None = None  # the payment's id: the receipt and e-receipt link
    out_of_service: str | None = None
    accessible: bool = False
    card_writing: bool = False  # a prepaid purchase is being written to the account card
    printing: bool = True  # False: receipts are e-receipts until the printer is back
    paper_low: bool = False
    online: bool = True  # False: lookups say "temporarily unavailable"; cash purchases only
    offline_limit: Money | None = None  # offline: the most one payment may take now
    settings_version: int = 0  # the config bundle in use (0: embedded defaults)
    maintenance_role: str | None = None  # who is in the maintenance menu
    acceptor_test: bool = False  # maintenance: notes are read and returned
