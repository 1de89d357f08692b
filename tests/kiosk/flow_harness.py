"""A pay flow with a counter for ids, remembering every command it gave."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar, cast
from uuid import UUID

from config.choices import PaymentMethod
from config.loader import load_settings
from config.records import RecordKind
from config.settings import Settings
from kiosk.bills import Bill, BillLine, Coupon
from kiosk.flow import PayFlow, State, Timer
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.money import Money

C = TypeVar("C", bound=c.Command)
SETTINGS = load_settings()


def yuan(amount: str) -> Money:
    return Money.parse(amount)


def bill(service: str = "electricity", account: str = "1234567890", due: str = "123.45") -> Bill:
    return Bill(
        service,
        account,
        "张*明",
        (BillLine("2026年10月电费", "Electricity, Oct 2026", yuan(due)),),
    )


def coupon_bill() -> Bill:
    return Bill(
        "water",
        "12345678",
        "李*",
        (
            BillLine("欠费", "Arrears", yuan("80.00")),
            BillLine("本期", "This period", yuan("40.00")),
        ),
        coupons=(Coupon("NEW10", "新用户减10元", "New customer ¥10 off", yuan("10.00")),),
    )


def purchase_bill() -> Bill:
    return Bill(
        "electricity",
        "1234567890",
        "张*明",
        (),
        prepaid=True,
        prepaid_balance=yuan("3.20"),
        usage_this_period=Decimal("2700"),
    )


class Harness:
    def __init__(self, settings: Settings = SETTINGS) -> None:
        self.counter = 0
        self.flow = PayFlow(settings, self._new_id)
        self.log: list[c.Command] = list(self.flow.start())
        self.last: list[c.Command] = self.log

    def _new_id(self) -> UUID:
        self.counter += 1
        return UUID(int=self.counter)

    def current(self) -> State:
        """The flow's state (a call, so that type checkers do not narrow it)."""
        return self.flow.state

    def send(self, *events: e.Event) -> list[c.Command]:
        out: list[c.Command] = []
        for event in events:
            out.extend(self.flow.handle(event))
        self.log.extend(out)
        self.last = out
        return out

    def token(self, timer: Timer = Timer.STATE) -> int:
        for command in reversed(self.log):
            if isinstance(command, c.ArmTimer) and command.timer is timer:
                return command.token
        raise AssertionError(f"{timer} never armed")

    def fire(self, timer: Timer = Timer.STATE) -> list[c.Command]:
        return self.send(e.TimerFired(timer, self.token(timer)))

    # -- reaching states ----------------------------------------------------
    def to_identify(self, service: str = "electricity") -> None:
        self.send(e.StartPressed(), e.ServiceChosen(service))

    def to_bill(self, found: Bill | None = None) -> Bill:
        found = found or bill()
        self.to_identify(found.service)
        self.send(e.AccountEntered(found.account), e.BillFound(found))
        return found

    def to_method(self, found: Bill | None = None, amount: Money | None = None) -> Bill:
        found = self.to_bill(found)
        self.send(e.AmountChosen(amount or found.due))
        return found

    def to_cash(self, found: Bill | None = None, amount: Money | None = None) -> Bill:
        found = self.to_method(found, amount)
        self.send(e.MethodChosen(PaymentMethod.CASH))
        return found

    def insert(self, *amounts: str) -> None:
        for amount in amounts:
            self.send(e.NoteEscrowed(yuan(amount)))
            if any(isinstance(x, c.StackNote) for x in self.last):
                self.send(e.NoteStacked(yuan(amount)))

    # -- reading the log ----------------------------------------------------
    def of(self, kind: type[C], commands: Sequence[c.Command] | None = None) -> list[C]:
        return [x for x in (self.log if commands is None else commands) if isinstance(x, kind)]

    def journal(
        self, kind: RecordKind, commands: Sequence[c.Command] | None = None
    ) -> list[c.JournalRecord]:
        return [j for j in self.of(c.JournalRecord, commands) if j.kind is kind]

    def ledger(self) -> dict[UUID | None, tuple[int, int]]:
        """Per session: (fen stacked, fen accounted for by settlement records)."""
        stacked: dict[UUID | None, int] = defaultdict(int)
        settled: dict[UUID | None, int] = defaultdict(int)
        for j in self.of(c.JournalRecord):
            if j.kind is RecordKind.NOTE_STACKED:
                stacked[j.session] += Money.from_json(j.data["value"]).minor
            elif j.kind is RecordKind.CREDIT_SETTLED:
                settled[j.session] += Money.from_json(j.data["amount"]).minor
            elif j.kind is RecordKind.PAYMENT_COMPLETED and j.data["method"] == "cash":
                settled[j.session] += Money.from_json(j.data["tendered"]).minor
        return {key: (stacked[key], settled[key]) for key in stacked.keys() | settled.keys()}


def details(record: c.JournalRecord) -> dict[str, Any]:
    """A payment record's details, typed for tests that look inside."""
    return cast(dict[str, Any], record.data["details"])
