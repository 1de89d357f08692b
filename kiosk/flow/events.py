"""Events into the pay flow: touches, devices, the network and timers.

Past-tense, frozen. The app shell turns what happened into one of these and
hands it to ``PayFlow.handle``.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.choices import PaymentMethod
from config.settings import Settings
from kiosk.bills import Bill
from kiosk.flow.states import Timer
from kiosk.money import Money


class Event:
    """Base class of every flow event."""

    __slots__ = ()


# -- touches ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ScreenTouched(Event):
    """Any touch: the customer is still there."""


@dataclass(frozen=True, slots=True)
class StartPressed(Event):
    pass


@dataclass(frozen=True, slots=True)
class ServiceChosen(Event):
    service: str


@dataclass(frozen=True, slots=True)
class AccountEntered(Event):
    text: str  # raw keypad text: validated by the flow


@dataclass(frozen=True, slots=True)
class PhoneEntered(Event):
    text: str


@dataclass(frozen=True, slots=True)
class CodeEntered(Event):
    text: str


@dataclass(frozen=True, slots=True)
class AmountChosen(Event):
    amount: Money


@dataclass(frozen=True, slots=True)
class MethodChosen(Event):
    method: PaymentMethod


@dataclass(frozen=True, slots=True)
class CashFinishPressed(Event):
    """The customer has no more notes: pay what was inserted, if the service allows."""


@dataclass(frozen=True, slots=True)
class BackPressed(Event):
    pass


@dataclass(frozen=True, slots=True)
class CancelPressed(Event):
    pass


@dataclass(frozen=True, slots=True)
class AccessibilityToggled(Event):
    on: bool


# -- account card ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AccountCardRead(Event):
    service: str
    account: str


@dataclass(frozen=True, slots=True)
class AccountCardLoaded(Event):
    transaction: str
    sequence: int


@dataclass(frozen=True, slots=True)
class AccountCardLoadFailed(Event):
    transaction: str
    reason: str


# -- central server --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BillFound(Event):
    bill: Bill


@dataclass(frozen=True, slots=True)
class BillNotFound(Event):
    pass


@dataclass(frozen=True, slots=True)
class LookupFailed(Event):
    reason: str


@dataclass(frozen=True, slots=True)
class ConnectivityChanged(Event):
    """The central server is (un)reachable. ``offline_allowance``: what offline
    payments may still take today (the shell counts them in the journal)."""

    online: bool
    offline_allowance: Money


@dataclass(frozen=True, slots=True)
class SettingsChanged(Event):
    """A new signed bundle was accepted; it takes effect between sessions."""

    settings: Settings
    version: int


@dataclass(frozen=True, slots=True)
class UpdateStaged(Event):
    """A new software release is installed beside this one; the kiosk restarts
    into it once no customer is in a session (nor money in escrow)."""

    version: str


# -- bill acceptor ---------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NoteEscrowed(Event):
    value: Money


@dataclass(frozen=True, slots=True)
class NoteStacked(Event):
    value: Money
    credit_id: str | None = None  # the driver's id for this credit, kept in the journal


@dataclass(frozen=True, slots=True)
class NoteReturned(Event):
    value: Money | None


@dataclass(frozen=True, slots=True)
class NoteRejected(Event):
    reason: str


@dataclass(frozen=True, slots=True)
class AcceptorFailed(Event):
    reason: str


@dataclass(frozen=True, slots=True)
class AcceptorRestored(Event):
    """The acceptor is ready again (after a fault, a reconnect, a power-up)."""


# -- bank card -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CardApproved(Event):
    reference: str
    masked_pan: str  # BIN + last 4 only
    auth_code: str


@dataclass(frozen=True, slots=True)
class CardDeclined(Event):
    reason: str


@dataclass(frozen=True, slots=True)
class CardFailed(Event):
    """Read error or card pulled: no authorization was asked for."""

    reason: str


@dataclass(frozen=True, slots=True)
class CardUnanswered(Event):
    """The authorization was sent and no answer came back (a timeout, a broken
    connection, an answer that is not one): the acquirer may have approved it."""

    reference: str
    reason: str


@dataclass(frozen=True, slots=True)
class GivenBack(Event):
    """The server's answer to a refund or reversal the kiosk asked for:
    ``refunded``, ``refunding``, ``reversed``, ``declined`` or ``refused``."""

    reference: str  # the order id or the card payment's reference
    status: str


# -- QR --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class QrOrderCreated(Event):
    order_id: str
    url: str


@dataclass(frozen=True, slots=True)
class QrOrderFailed(Event):
    reason: str


@dataclass(frozen=True, slots=True)
class QrPending(Event):
    order_id: str


@dataclass(frozen=True, slots=True)
class QrPaid(Event):
    order_id: str


@dataclass(frozen=True, slots=True)
class QrCancelled(Event):
    order_id: str


# -- printer ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReceiptPrinted(Event):
    pass


@dataclass(frozen=True, slots=True)
class ReceiptFailed(Event):
    reason: str


@dataclass(frozen=True, slots=True)
class PrinterChanged(Event):
    """The printer's state changed: can it print, is the paper low."""

    printing: bool
    paper_low: bool = False


# -- kiosk -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TimerFired(Event):
    timer: Timer
    token: int


@dataclass(frozen=True, slots=True)
class MethodsAvailable(Event):
    """The payment methods the devices and the server can take right now."""

    methods: frozenset[PaymentMethod]


@dataclass(frozen=True, slots=True)
class OutOfServiceSet(Event):
    reason: str


@dataclass(frozen=True, slots=True)
class ServiceRestored(Event):
    pass


@dataclass(frozen=True, slots=True)
class MaintenanceEntered(Event):
    role: str
    by: str = "pin"  # "pin", or the technician card's staff id


@dataclass(frozen=True, slots=True)
class AcceptorTestSet(Event):
    """Maintenance: take any note into escrow and give it back (never stack it)."""

    on: bool


@dataclass(frozen=True, slots=True)
class MaintenanceLeft(Event):
    pass
