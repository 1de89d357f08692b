"""One interface for every bill acceptor, whatever its protocol.

Events are what the device did (past tense); a driver hands them to its
listener from its owner thread. Values are integer minor units with an ISO
currency: drivers know nothing of payments, so they carry plain ints.

The credit point is special. A driver calls its ``credit`` sink with a
``Stacked`` event on its owner thread and acknowledges the device (ID-003:
ACK to VEND VALID; ccTalk: the event counter taken as consumed) only after the
sink returned ``True`` — the sink journals the credit durably first. A sink
that returns ``False`` or raises leaves the device unacknowledged; the driver
offers the same ``credit_id`` again, so the sink must be idempotent per id.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Denomination:
    code: int  # the protocol's own code (ID-003 escrow code, ccTalk bill type)
    minor: int  # value in minor units
    currency: str


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    protocol: str
    model: str
    firmware: str
    denominations: tuple[Denomination, ...]


class Where(enum.Enum):
    ACCEPTOR = "acceptor"
    STACKER = "stacker"


class AcceptorEvent:
    """Base class of every acceptor event."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Ready(AcceptorEvent):
    info: DeviceInfo


@dataclass(frozen=True, slots=True)
class Escrowed(AcceptorEvent):
    minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class Stacked(AcceptorEvent):
    """A note is in the cashbox: credit. Delivered to the credit sink, not the listener."""

    minor: int
    currency: str
    credit_id: str  # unique per note; offered again until the sink accepts it


@dataclass(frozen=True, slots=True)
class Returned(AcceptorEvent):
    minor: int | None


@dataclass(frozen=True, slots=True)
class Rejected(AcceptorEvent):
    reason: str
    code: int | None = None


@dataclass(frozen=True, slots=True)
class Paused(AcceptorEvent):
    """A second note was pushed in while the first was being taken."""


@dataclass(frozen=True, slots=True)
class Jammed(AcceptorEvent):
    where: Where


@dataclass(frozen=True, slots=True)
class CashboxFull(AcceptorEvent):
    pass


@dataclass(frozen=True, slots=True)
class CashboxRemoved(AcceptorEvent):
    pass


@dataclass(frozen=True, slots=True)
class CashboxRestored(AcceptorEvent):
    pass


@dataclass(frozen=True, slots=True)
class CheatDetected(AcceptorEvent):
    detail: str


@dataclass(frozen=True, slots=True)
class Failed(AcceptorEvent):
    code: int | None
    description: str


@dataclass(frozen=True, slots=True)
class FaultCleared(AcceptorEvent):
    """The device is back to normal after a jam, failure or cashbox fault."""


@dataclass(frozen=True, slots=True)
class PoweredUpWithNote(AcceptorEvent):
    """At power-up (or on connecting) a note was in the acceptor or the stacker.

    ``STACKER``: the note was taken but maybe never credited; the app reconciles
    it with the journal. ``ACCEPTOR``: the note is returned to the customer.
    """

    where: Where


@dataclass(frozen=True, slots=True)
class PoweredUp(AcceptorEvent):
    pass


@dataclass(frozen=True, slots=True)
class Disconnected(AcceptorEvent):
    reason: str


@dataclass(frozen=True, slots=True)
class Reconnected(AcceptorEvent):
    pass


@dataclass(frozen=True, slots=True)
class ProtocolError(AcceptorEvent):
    """Garbage, a bad checksum, an unexpected reply: logged, never fatal."""

    detail: str


Listener = Callable[[AcceptorEvent], None]
CreditSink = Callable[[Stacked], bool]


class BillAcceptor(ABC):
    """Commands to an acceptor. Thread-safe: each queues work for the owner thread."""

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def enable(self, denominations: frozenset[int]) -> None:
        """Accept notes of these values (minor units); inhibit the rest."""

    @abstractmethod
    def disable(self) -> None: ...

    @abstractmethod
    def stack(self) -> None:
        """Take the note in escrow into the cashbox."""

    @abstractmethod
    def return_note(self) -> None:
        """Give the note in escrow back."""

    @abstractmethod
    def hold(self) -> None:
        """Keep the note in escrow longer."""

    @abstractmethod
    def reset(self) -> None: ...

    @abstractmethod
    def device_info(self) -> DeviceInfo | None:
        """Model, firmware and denomination table, once the device is ready."""
