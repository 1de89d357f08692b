"""A customer identified by the account card, and a bank-card payment, end to
end through the real pcscd, the pay flow, the journal and the printer — and
the full PAN nowhere afterwards."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from central import refunds
from central.books import ledger, verify
from central.db import authorizations
from central.serve import Central, running
from config.choices import PaymentMethod
from config.settings import PrinterSection
from drivers.cards import account
from drivers.cards.reader import CardInserted, CardPulled, CardWatcher, PcscReader
from drivers.sim.escpos_device import EscposDevice
from drivers.sim.pcscd import Slot
from drivers.sim.vicc import UNIONPAY, AccountCard, EmvCard, EmvProfile
from kiosk.flow import Notice, PayFlow, State
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.shell.cards import Authorize, CardService
from kiosk.shell.central import CentralService
from kiosk.shell.printing import ReceiptService, build_printer
from kiosk.shell.runner import FlowRunner
from offline_queue.journal import Journal
from tests.kiosk.flow_harness import SETTINGS, bill, purchase_bill, yuan
from tests.waiting import wait_until

KEY = bytes.fromhex(SETTINGS.card_reader.account_key_hex)

PAN = UNIONPAY.pan


class Kiosk:
    def __init__(
        self, path: Path, reader: str, authorize: Authorize, account_key: bytes = b"",
        central: CentralService | None = None,
    ) -> None:  # fmt: skip
        self.central = central
        self.journal = Journal(path)
        self.printing = build_printer(PrinterSection(connection="sim"), None)
        assert self.printing.simulator is not None
        self.printer_device: EscposDevice = self.printing.simulator.device
        self.commands: list[c.Command] = []
        self.runner = FlowRunner(PayFlow(SETTINGS), self.journal, services=self._service)
        self.receipts = ReceiptService(
            self.printing.printer, self.journal, SETTINGS, self.runner.post
        )
        self.cards = CardService(
            PcscReader(reader),
            self.runner.post,
            authorize,
            account_key=account_key,
            insert_timeout_s=20,
        )
        self.runner.start()

    def _service(self, command: c.Command) -> None:
        self.commands.append(command)
        if isinstance(command, ReceiptService.COMMANDS):
            self.receipts.execute(command)
        elif isinstance(command, CardService.COMMANDS):
            self.cards.execute(command)
        elif isinstance(command, c.ReverseCardPayment) and self.central is not None:
            self.central.give_back(command)

    def stop(self) -> None:
        self.runner.stop()
        self.cards.stop()
        self.receipts.stop()
        self.printing.stop()
        self.journal.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Central, CentralService]]:
    """The reference server (its sandbox acquirer), and the kiosk's client of it."""
    with running(tmp_path / "central.db") as central:
        central.app.state.acquirer_stall_s = 3.0  # …0003 stalls past the kiosk's 1.5 s
        client = CentralService(central.url, central.enroll(), lambda _: None, timeout_s=1.5)
        yield central, client
        client.stop()


@pytest.fixture
def acquirer(server: tuple[Central, CentralService]) -> Authorize:
    """The sandbox acquirer, asked as the kiosk asks it."""
    return server[1].authorize


@pytest.fixture
def kiosk(tmp_path: Path, pcscd: str, server: tuple[Central, CentralService]) -> Iterator[Kiosk]:
    k = Kiosk(tmp_path / "journal.db", pcscd, server[1].authorize, central=server[1])
    yield k
    k.stop()


def to_card_payment(k: Kiosk) -> None:
    for event in (
        e.StartPressed(),
        e.ServiceChosen("electricity"),
        e.AccountEntered("1234567890"),
        e.BillFound(bill(due="123.45")),
        e.AmountChosen(yuan("123.45")),
        e.MethodChosen(PaymentMethod.CARD),
    ):
        k.runner.post(event).wait(2)
    assert k.runner.flow.state is State.CARD_PAYING


def test_account_card_identifies_the_customer(kiosk: Kiosk, slot: Slot) -> None:
    def on_card(event: CardInserted | CardPulled) -> None:
        if isinstance(event, CardInserted):
            kiosk.cards.card_inserted()

    watcher = CardWatcher(on_card)
    try:
        slot.insert(AccountCard(account="3301234568", service="electricity"))
        # the runner changes state, then runs the commands: wait for the command itself
        wait_until(lambda: c.LookUpBill("electricity", "3301234568") in kiosk.commands)
    finally:
        watcher.stop()
    assert kiosk.runner.flow.state is State.LOOKING_UP


def test_bank_card_payment_and_no_pan_anywhere(
    kiosk: Kiosk, slot: Slot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    to_card_payment(kiosk)
    slot.insert(EmvCard())
    try:
        wait_until(lambda: kiosk.runner.flow.state is State.DONE)
    except AssertionError:
        raise AssertionError(f"{kiosk.runner.flow.view()} {kiosk.commands[-5:]}") from None
    [done] = kiosk.journal.latest(["payment_completed"])
    assert done.data["method"] == "card"
    assert done.data["details"]["masked_pan"] == "622202*********0123"
    wait_until(lambda: bool(kiosk.printer_device.receipts))
    printed = kiosk.printer_device.receipts[-1].text
    assert "622202*********0123" in printed
    # the PAN-leak check: journal file, logs, printed receipt
    kiosk.journal.close()
    journal_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("journal.db*"))
    assert PAN.encode() not in journal_bytes
    assert PAN not in caplog.text
    assert PAN not in printed
    kiosk.journal = Journal(tmp_path / "journal.db")  # for the fixture's close


@pytest.mark.parametrize(
    ("profile", "notice"),
    [
        (EmvProfile(UNIONPAY.aid, "UnionPay Debit", "6222020005000002", "281231"),
         Notice.CARD_DECLINED),
        (EmvProfile(UNIONPAY.aid, "UnionPay Debit", "6222020004000003", "281231"),
         Notice.CARD_NO_ANSWER),
    ],
)  # fmt: skip
def test_declined_and_acquirer_timeout(
    kiosk: Kiosk, slot: Slot, profile: EmvProfile, notice: Notice
) -> None:
    to_card_payment(kiosk)
    slot.insert(EmvCard(profile=profile))
    wait_until(lambda: kiosk.runner.flow.state is State.CHOOSE_METHOD)
    assert kiosk.runner.flow.view().notice is notice
    assert kiosk.journal.latest(["payment_completed"]) == []


@pytest.mark.parametrize(
    "pan", ["6222020003000004", "6222020004000003"], ids=["answer lost", "slow acquirer"]
)
def test_an_unanswered_authorization_is_reversed_at_the_acquirer(
    kiosk: Kiosk, slot: Slot, server: tuple[Central, CentralService], pan: str
) -> None:
    """Approved and the answer lost (504), or still deciding when the kiosk's
    1.5 s ran out: either way the kiosk reverses it and the card is not charged."""
    central, _ = server
    to_card_payment(kiosk)
    [start] = [x for x in kiosk.commands if isinstance(x, c.StartCardPayment)]
    slot.insert(EmvCard(profile=EmvProfile(UNIONPAY.aid, "UnionPay Debit", pan, "281231")))
    wait_until(lambda: kiosk.runner.flow.state is State.CHOOSE_METHOD)
    assert kiosk.runner.flow.view().notice is Notice.CARD_NO_ANSWER
    [reversal] = kiosk.journal.latest(["card_reversal"])
    assert reversal.data == {"reference": start.reference, "reason": "no_answer"}
    engine = central.app.state.engine

    def acquirer_says() -> str | None:
        with engine.connect() as conn:
            decided = conn.scalar(
                select(authorizations.c.approved).where(
                    authorizations.c.reference == start.reference
                )
            )
            if decided is None or not refunds.reversed_before(conn, start.reference):
                return None
            return refunds.card_status(conn, "K-1", start.reference).status

    wait_until(lambda: acquirer_says() is not None, timeout=10)
    assert acquirer_says() == "reversed"
    with engine.connect() as conn:
        assert ledger.balance_of(conn, "unapplied:acquirer") == 0
        assert ledger.balance_of(conn, "clearing:acquirer") == 0
        assert verify.problems(conn) == []


@pytest.mark.parametrize("fails", [False, True])
def test_prepaid_purchase_written_to_the_account_card(
    tmp_path: Path, pcscd: str, slot: Slot, fails: bool, acquirer: Authorize
) -> None:
    k = Kiosk(tmp_path / "journal.db", pcscd, acquirer, account_key=KEY)
    card = AccountCard(account="1234567890", service="electricity", fail_writes=fails)
    try:
        slot.insert(card)
        wait_until(lambda: PcscReader(pcscd).atr() is not None)  # pcscd has seen it
        k.runner.post(e.AccountCardRead("electricity", "1234567890")).wait(2)
        for event in (
            e.BillFound(purchase_bill()),
            e.AmountChosen(yuan("100")),
            e.MethodChosen(PaymentMethod.WECHAT),
            e.QrOrderCreated("WX7", "https://p/WX7"),
            e.QrPaid("WX7"),
        ):
            k.runner.post(event).wait(2)
        kind = "card_load_failed" if fails else "card_loaded"
        wait_until(lambda: bool(k.journal.latest([kind])))
        if fails:
            assert (
                k.journal.latest(["card_load_failed"])[0]
                .data["reason"]
                .startswith("PurchaseNotVerified")
            )
        else:
            [load] = [x for x in k.commands if isinstance(x, c.LoadAccountCard)]
            stored = account.decode_purchase(KEY, "1234567890", bytes(card.purchase))
            assert stored == account.Purchase(1, "175.17", 10000, load.transaction.bytes)
            # the same purchase again (a reissue of a write that did arrive): not twice
            answers: list[e.Event] = []
            again = CardService(PcscReader(pcscd), answers.append, acquirer, account_key=KEY)
            again.execute(load)
            wait_until(lambda: bool(answers))
            again.stop()
            assert answers == [e.AccountCardLoaded(str(load.transaction), 1)]
            assert account.decode_purchase(KEY, "1234567890", bytes(card.purchase)) == stored
    finally:
        k.stop()
