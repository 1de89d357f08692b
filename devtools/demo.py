"""``kiosk demo``: a headless, scripted run of the pay flow.

It drives the real ``PayFlow`` and writes a real journal; the devices and the
central server are stand-ins that answer each command at once (the wire-level
simulators and the reference server arrive with their own issues). It prints
every event, state and command, writes text receipts, simulates a power cut
in the middle of a cash payment and recovers from it, then verifies and
exports the journal.
"""

from __future__ import annotations

import shutil
from collections import deque
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from config.choices import PaymentMethod
from config.fees.parking import ParkingTariff
from config.fees.property import PropertyTariff
from config.fees.tiered import TieredTariff
from config.settings import Settings
from devtools.demo_central import run_central_demo, wait_for
from drivers.acceptor import AcceptorEvent
from drivers.printer.printer import ReceiptPrinter
from drivers.sim.cctalk_device import CcTalkDevice
from drivers.sim.id003_device import Id003Device
from drivers.sim.pty import PtyServer
from kiosk.bills import Bill, BillLine
from kiosk.flow import PayFlow, State, Timer
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.journaling import write
from kiosk.money import Language, Money
from kiosk.receipt import voucher
from kiosk.recovery import recover
from kiosk.shell.acceptor_link import AcceptorLink
from kiosk.shell.devices import build_acceptor
from kiosk.shell.printing import Printer, ReceiptService, build_printer, print_payment
from kiosk.shell.runner import FlowRunner
from offline_queue.journal import Journal

TODAY = date(2026, 11, 24)
Step = e.Event | str  # "wait": let the state's timer run out


def _yuan(minor: int) -> Money:
    return Money(minor)


def demo_bills(settings: Settings) -> dict[tuple[str, str], Bill]:
    """What the stand-in server knows, priced with the demo city's fee tables."""
    power = settings.tariffs["electricity"].build()
    parking = settings.tariffs["parking"].build()
    estate = settings.tariffs["property"].build()
    assert isinstance(power, TieredTariff) and isinstance(parking, ParkingTariff)
    assert isinstance(estate, PropertyTariff)

    used = power.charge(Decimal(2560), Decimal(300))
    power_lines = tuple(
        BillLine(
            f"10月电费 第{line.tier}档 {line.units} kWh × ¥{line.price}",
            f"Oct electricity, tier {line.tier}: {line.units} kWh × {line.price}",
            _yuan(line.fen),
        )
        for line in used.lines
    )
    stay = parking.fee(timedelta(hours=2, minutes=5))
    months = estate.bill(Decimal("89.5"), [(2026, 10), (2026, 11)], TODAY)
    estate_lines = tuple(
        BillLine(
            f"{m.year}年{m.month}月物业费（逾期{m.days_late}天）",
            f"Property fee {m.year}-{m.month:02d} ({m.days_late} days late)",
            _yuan(m.fen),
            m.due.isoformat(),
        )
        for m in months.months
    )
    return {
        ("electricity", "3301234567"): Bill("electricity", "3301234567", "王*华", power_lines),
        ("electricity", "3301234568"): Bill(
            "electricity",
            "3301234568",
            "陈*",
            (),
            prepaid=True,
            prepaid_balance=_yuan(320),
            usage_this_period=Decimal(2700),
        ),
        ("parking", "202611240815"): Bill(
            "parking",
            "202611240815",
            "浙A·D1234",
            (BillLine("停车 2小时5分", "Parking 2 h 5 min", _yuan(stay.fen)),),
        ),
        ("property", "101020301"): Bill("property", "101020301", "李*", estate_lines),
    }


SCENARIOS: list[tuple[str, list[Step]]] = [
    (
        "Electricity bill by keypad, paid in cash, excess to the account",
        [
            e.StartPressed(),
            e.ServiceChosen("electricity"),
            e.AccountEntered("3301234567'; DROP TABLE journal;--"),
            e.AccountEntered("3301234567"),
            e.AmountChosen(_yuan(16640)),
            e.MethodChosen(PaymentMethod.CASH),
            e.NoteEscrowed(_yuan(10000)),
            e.NoteEscrowed(_yuan(5000)),
            e.NoteEscrowed(_yuan(2000)),
        ],
    ),
    (
        "Prepaid electricity: account card, buy ¥100 of units by QR (WeChat Pay)",
        [
            e.AccountCardRead("electricity", "3301234568"),
            e.AmountChosen(_yuan(10000)),
            e.MethodChosen(PaymentMethod.WECHAT),
            "wait-poll",
        ],
    ),
    (
        "Parking: the customer inserts ¥5, then cancels: a credit voucher",
        [
            e.StartPressed(),
            e.ServiceChosen("parking"),
            e.AccountEntered("202611240815"),
            e.AmountChosen(_yuan(1000)),
            e.MethodChosen(PaymentMethod.CASH),
            e.NoteEscrowed(_yuan(500)),
            e.CancelPressed(),
            "wait",
        ],
    ),
    (
        "Property fee with late fees, customer walks away mid-payment",
        [
            e.StartPressed(),
            e.ServiceChosen("property"),
            e.AccountEntered("101020301"),
            e.AmountChosen(_yuan(30000)),
            e.MethodChosen(PaymentMethod.CASH),
            e.NoteEscrowed(_yuan(10000)),
            "wait",
            "wait",
            "wait",
        ],
    ),
]


class DemoShell:
    """Runs the flow's commands: real journal, stand-in devices and server."""

    def __init__(
        self, settings: Settings, journal: Journal, out: Path, printer: ReceiptPrinter
    ) -> None:
        self.settings = settings
        self.journal = journal
        self.flow = PayFlow(settings)
        self.bills = demo_bills(settings)
        self.printer = printer
        self.answers: deque[e.Event] = deque()
        self.reply: Callable[[e.Event], object] = self.answers.append
        self.tokens: dict[Timer, int] = {}

    def start(self) -> None:
        self.run(self.flow.start())

    def send(self, step: Step) -> None:
        if step == "wait":
            print("  … time passes")
            step = e.TimerFired(Timer.STATE, self.tokens[Timer.STATE])
        elif step == "wait-poll":
            print("  … the customer scans the QR code and pays on the phone")
            step = e.TimerFired(Timer.QR_POLL, self.tokens[Timer.QR_POLL])
        assert isinstance(step, e.Event)
        self.answers.append(step)
        while self.answers:
            event = self.answers.popleft()
            print(f"  event    {_describe(event)}")
            self.run(self.flow.handle(event))

    def run(self, commands: Iterable[c.Command]) -> None:
        for command in commands:
            self.observe(command)
            if not isinstance(command, c.Show):
                self.execute(command)

    def observe(self, command: c.Command) -> None:
        if isinstance(command, c.Show):
            notice = f" ({command.view.notice.value})" if command.view.notice else ""
            print(f"  state    {command.view.state.value}{notice}")
        else:
            print(f"  command  {_describe(command)}")

    def service(self, command: c.Command) -> None:
        """The stand-in server and printer, for commands the runner does not run itself."""
        if not isinstance(command, c.Show):
            self.execute(command)

    def execute(self, command: c.Command) -> None:
        if isinstance(command, c.JournalRecord):
            write(self.journal, command)
        elif isinstance(command, c.ArmTimer):
            self.tokens[command.timer] = command.token
        elif isinstance(command, c.LookUpBill):
            bill = self.bills.get((command.service, command.account))
            self.reply(e.BillFound(bill) if bill else e.BillNotFound())
        elif isinstance(command, c.StackNote):
            self.reply(e.NoteStacked(command.value))
        elif isinstance(command, c.CreateQrOrder):
            order = f"WX{command.reference[:8].upper()}"
            self.reply(e.QrOrderCreated(order, f"https://pay.example.cn/qr/{order}"))
        elif isinstance(command, c.QueryQrOrder):
            self.reply(e.QrPaid(command.order_id))
        elif isinstance(command, c.CancelQrOrder):
            self.reply(e.QrCancelled(command.order_id))
        elif isinstance(command, c.LoadAccountCard):  # the stand-in card takes the purchase
            self.reply(e.AccountCardLoaded(str(command.transaction), 1))
        elif isinstance(command, c.PrintReceipt):
            self._print_receipt(str(command.transaction))
        elif isinstance(command, c.PrintVoucher):
            entry = self.journal.transaction(str(command.transaction))
            document = voucher(
                self.settings, command.amount, entry.at if entry else "", str(command.transaction),
                Language.ZH,
            )  # fmt: skip
            result = self.printer.print(document)
            print(f"           voucher {'printed' if result.printed else 'NOT printed'}")

    def _print_receipt(self, transaction: str) -> None:
        result = print_payment(self.printer, self.journal, self.settings, transaction, Language.ZH)
        if result is not None and result.printed:
            print(f"           receipt printed ({result.after.value if result.after else ''})")
            self.reply(e.ReceiptPrinted())
            return
        reason = (result.error if result else None) or "no such payment"
        url = self.settings.kiosk.receipt_url.format(transaction=transaction)
        print(f"           receipt NOT printed ({reason}): the screen offers the e-receipt {url}")
        self.reply(e.ReceiptFailed(reason))


def _show(value: object) -> object:
    if isinstance(value, Money):
        return value.format(Language.EN)
    if isinstance(value, Bill):
        return f"{value.service}/{value.account} due {value.due.format(Language.EN)}"
    if isinstance(value, frozenset):
        return ", ".join(v.format(Language.EN) for v in sorted(value, key=lambda m: m.minor))
    if isinstance(value, dict) and set(value) == {"minor", "currency"}:
        return Money.from_json(value).format(Language.EN)
    if hasattr(value, "value") and not isinstance(value, dict):
        return value.value  # enums by their names in the journal
    return value


def _describe(item: object) -> str:
    if isinstance(item, c.JournalRecord):
        shown = {k: _show(v) for k, v in item.data.items() if v not in (None, {}, "")}
        tx = f" tx={str(item.transaction)[:8]}" if item.transaction else ""
        return f"Journal {item.kind.value}{tx} " + " ".join(f"{k}={v}" for k, v in shown.items())
    if isinstance(item, c.ArmTimer):
        return f"ArmTimer {item.timer.value} {item.seconds}s"
    fields = getattr(item, "__dataclass_fields__", {})
    parts = [f"{key}={_show(getattr(item, key))}" for key in fields]
    return f"{type(item).__name__}({', '.join(parts)})"


def run_demo(settings: Settings, out: Path) -> int:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    db = out / "journal.db"
    print(f"Demo kiosk {settings.kiosk.id} — journal {db}\n")
    printing = build_printer(settings.printer, out / "receipts")
    with Journal(db) as journal:
        shell = DemoShell(settings, journal, out, printing.printer)
        shell.start()
        for title, steps in SCENARIOS:
            print(f"\n== {title}")
            for step in steps:
                shell.send(step)
            assert shell.flow.state in (State.ATTRACT, State.DONE, State.CANCELLED), (
                shell.flow.state
            )
            if shell.flow.state is not State.ATTRACT:
                shell.send("wait")

        print("\n== Parking paid by Alipay while the printer is out of paper")
        _paper_out(shell, printing)

        print("\n== Power cut while a customer pays water in cash")
        _power_cut(settings, journal, out, printing.printer)

        print("\n== Electricity bill paid with notes through the ID-003 simulator")
        _notes_through_the_acceptor(settings, journal, out, printing.printer)

        print("\n== With the local central server: enroll, look up, pay by QR, upload, new fees")
        online = run_central_demo(settings, out / "central", printing.printer)
        print(f"  central server part: {'ok' if online else 'FAILED'}")
        printing.stop()

        verdict = journal.verify()
        export = out / "journal.jsonl"
        with export.open("w", encoding="utf-8") as fh:
            count = journal.export(fh)
        print(
            f"\njournal verify: {'ok' if verdict.ok else verdict.reason}, {verdict.records} records"
        )
        print(f"journal export: {count} records to {export}")
        waiting = journal.outbox_counts()["pending"]
        print(
            f"outbox: {waiting} transactions waiting for the central server (this part is offline)"
        )
    return 0 if verdict.ok and online else 1


def _paper_out(shell: DemoShell, printing: Printer) -> None:
    device = printing.simulator.device if printing.simulator else None
    if device is None:
        print("  a real printer is configured: skipped (it cannot be told to run out of paper)")
        return
    device.paper_out = True
    for step in (
        e.StartPressed(),
        e.ServiceChosen("parking"),
        e.AccountEntered("202611240815"),
        e.AmountChosen(_yuan(1000)),
        e.MethodChosen(PaymentMethod.ALIPAY),
        "wait-poll",
    ):
        shell.send(step)
    transaction = shell.flow.view().transaction
    shell.send("wait")
    print("  -- a technician reloads the paper and reprints the receipt from the journal")
    device.paper_out = False
    assert transaction is not None
    result = print_payment(shell.printer, shell.journal, shell.settings, transaction, Language.ZH)
    print(f"  reprint: {'printed' if result and result.printed else 'failed'}")


def _power_cut(settings: Settings, journal: Journal, out: Path, printer: ReceiptPrinter) -> None:
    shell = DemoShell(settings, journal, out, printer)
    shell.bills[("water", "33012345")] = Bill(
        "water", "33012345", "周*", (BillLine("10月水费", "Oct water", _yuan(8750)),)
    )
    shell.start()
    for step in [
        e.StartPressed(),
        e.ServiceChosen("water"),
        e.AccountEntered("33012345"),
        e.AmountChosen(_yuan(8750)),
        e.MethodChosen(PaymentMethod.CASH),
        e.NoteEscrowed(_yuan(5000)),
    ]:
        shell.send(step)
    print("  !! power cut: the process dies with ¥50.00 in the cashbox")
    print("  -- restart: recovery runs before the first customer")
    report = recover(journal)
    for record in report.records:
        print(f"  recovery {_describe(record)}")
    print(
        f"  recovery checked {report.sessions_checked} sessions, settled {report.settled_sessions}"
    )


def _notes_through_the_acceptor(
    settings: Settings, journal: Journal, out: Path, printer: ReceiptPrinter
) -> None:
    """The real driver, over a pseudo-terminal, against the simulated acceptor."""
    shell = DemoShell(settings, journal, out, printer)
    receipts: list[ReceiptService] = []

    def services(command: c.Command) -> None:
        if isinstance(command, ReceiptService.COMMANDS):  # on the printer's thread
            receipts[0].execute(command)
        else:
            shell.service(command)

    runner = FlowRunner(PayFlow(settings), journal, services=services, observer=shell.observe)
    receipts.append(ReceiptService(printer, journal, settings, runner.post))
    shell.reply = runner.post
    link = AcceptorLink(runner, journal)

    def listen(event: AcceptorEvent) -> None:
        print(f"  acceptor {_describe(event)}")
        link.on_event(event)

    acceptor = build_acceptor(settings.acceptor, listen, link.credit, journal)
    if acceptor is None or not isinstance(acceptor.simulator, PtyServer):
        print('  no simulated acceptor configured (acceptor.port is not "sim"): skipped')
        return
    device = acceptor.simulator.device
    assert isinstance(device, Id003Device | CcTalkDevice)
    runner.acceptor = acceptor.driver
    runner.start()
    try:
        print(f"  simulator on {acceptor.simulator.path} ({settings.acceptor.protocol})")
        _wait(lambda: acceptor.driver.device_info() is not None, "the acceptor to be ready")
        for event in (
            e.StartPressed(),
            e.ServiceChosen("electricity"),
            e.AccountEntered("3301234567"),
        ):
            runner.post(event).wait(5)
        _wait(lambda: runner.flow.state is State.BILL_SHOWN, "the bill")
        runner.post(e.AmountChosen(_yuan(16640))).wait(5)
        runner.post(e.MethodChosen(PaymentMethod.CASH)).wait(5)
        for major in (100, 50, 20):
            print(f"  customer inserts a ¥{major} note")
            device.insert(major)
            _wait(lambda: major in device.stacked, f"the ¥{major} note")  # noqa: B023
        _wait(lambda: runner.flow.state is State.DONE, "the receipt")
    finally:
        acceptor.stop()
        runner.stop()
        receipts[0].stop()


def _wait(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    if not wait_for(condition, timeout):
        raise RuntimeError(f"demo: gave up waiting for {what}")
