"""One customer's session: what the flow knows about it, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from config.choices import PaymentMethod, RefundTarget
from config.settings import ServiceSection
from kiosk.bills import Bill
from kiosk.flow.states import GivenBack, Outcome
from kiosk.money import Money


@dataclass(slots=True)
class Session:
    id: UUID
    currency: str
    service: str | None = None
    config: ServiceSection | None = None
    account: str | None = None
    phone: str | None = None
    bill: Bill | None = None
    amount: Money | None = None  # what the customer chose to pay
    method: PaymentMethod | None = None
    paid: Money = field(init=False)  # cash stacked: credit the customer owns
    settled: Money = field(init=False)  # of ``paid``, what a settlement record accounts for
    escrow: Money | None = None
    acceptor_on: bool = False
    card_reference: str | None = None
    qr_reference: str | None = None
    qr_order: str | None = None
    qr_url: str | None = None
    outcome: Outcome | None = None
    credited: Money | None = None
    credited_to: RefundTarget | None = None
    given_back: GivenBack | None = None  # late money, and what became of it
    closed: bool = False
    transaction: UUID | None = None  # the payment's, once completed (receipt, e-receipt)
    by_card: bool = False  # identified by inserting the account card
    card_not_loaded: bool = False  # a prepaid purchase could not be written to the card
    card_writing: bool = False  # the purchase is being written: the card must stay in
    reissuing: set[str] = field(default_factory=set)  # earlier purchases being written
    offline: bool = False  # a purchase made while the server was out of reach

    def __post_init__(self) -> None:
        self.paid = Money.zero(self.currency)
        self.settled = Money.zero(self.currency)

    @property
    def writing_card(self) -> bool:
        """A purchase, this one or an earlier one, is being written: the card stays in."""
        return self.card_writing or bool(self.reissuing)

    @property
    def unsettled(self) -> Money:
        return self.paid - self.settled

    @property
    def refund_to(self) -> RefundTarget:
        """Where cancelled cash goes; a voucher when there is no account to credit."""
        if self.config is None or self.account is None:
            return RefundTarget.VOUCHER
        return self.config.refund_to

    @property
    def is_purchase(self) -> bool:
        return self.bill is not None and self.bill.is_purchase
