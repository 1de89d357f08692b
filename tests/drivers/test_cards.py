"""Cards through the real pcscd and the vpcd reader: the account card and EMV."""

from __future__ import annotations

import queue
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from drivers.cards import account, emv
from drivers.cards.apdu import CardError, CardRemoved, MuteCard, NoReader, StatusWordError
from drivers.cards.reader import CardInserted, CardPulled, CardWatcher, PcscReader
from drivers.sim.pcscd import running_pcscd, virtual_readers
from drivers.sim.vicc import (
    VISA,
    AccountCard,
    EmvCard,
    UnknownCard,
    VirtualCard,
    VpcdSlot,
)
from drivers.sim.vicc import MuteCard as MuteVirtualCard
from tests.drivers.pcsc import Pcscd

KEY = b"test-key-from-config"
TERMINAL = emv.Terminal(
    amount_fen=12345, today=date(2026, 11, 24), unpredictable=b"\x12\x34\x56\x78"
)


@pytest.fixture
def slot(pcscd: str) -> Iterator[VpcdSlot]:
    s = VpcdSlot(0)
    yield s
    s.remove()


def insert(slot: VpcdSlot, reader: PcscReader, card: VirtualCard) -> None:
    """Insert ``card`` once pcscd has seen the slot empty (as a hand would)."""
    slot.remove()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with reader.session():
                time.sleep(0.1)
        except CardRemoved:
            break
        except CardError:
            time.sleep(0.1)
    slot.insert(card)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with reader.session():
                return
        except CardError:
            time.sleep(0.1)
    raise AssertionError("pcscd never saw the card")


@pytest.fixture
def reader(pcscd: str) -> PcscReader:
    return PcscReader(pcscd)


def test_account_card_identifies_the_customer(slot: VpcdSlot, reader: PcscReader) -> None:
    insert(slot, reader, AccountCard(account="3301234568", service="electricity", meter="M-77"))
    with reader.session() as transmit:
        assert account.read_identity(transmit) == account.Identity(
            "3301234568", "electricity", "M-77"
        )


def test_prepaid_purchase_written_and_read_back(slot: VpcdSlot, reader: PcscReader) -> None:
    card = AccountCard(account="3301234568")
    insert(slot, reader, card)
    purchase = account.Purchase(sequence=7, units="175.17", amount_fen=10000)
    with reader.session() as transmit:
        assert account.read_purchase(transmit, KEY, "3301234568") is None  # a new card
        account.write_purchase(transmit, KEY, "3301234568", purchase)
        assert account.read_purchase(transmit, KEY, "3301234568") == purchase
        with pytest.raises(account.PurchaseNotVerified, match="MAC"):
            account.read_purchase(transmit, b"another utility's key", "3301234568")


@pytest.mark.parametrize(
    ("fault", "message"),
    [("fail_writes", "refused the write"), ("garble_writes", "differs from what was written")],
)
def test_a_write_that_does_not_verify_is_not_delivered(
    slot: VpcdSlot, reader: PcscReader, fault: str, message: str
) -> None:
    card = AccountCard(account="3301234568")
    setattr(card, fault, True)
    insert(slot, reader, card)
    with reader.session() as transmit, pytest.raises(account.PurchaseNotVerified, match=message):
        account.write_purchase(transmit, KEY, "3301234568", account.Purchase(1, "10.00", 538))


@pytest.mark.parametrize(
    ("card", "path"),
    [
        (EmvCard(), "PPSE"),
        (EmvCard(ppse=False), "PSE"),
        (EmvCard(ppse=False, pse=False), "known AIDs"),
    ],
)
def test_emv_unionpay_read_by_every_selection_path(
    slot: VpcdSlot, reader: PcscReader, card: EmvCard, path: str
) -> None:
    insert(slot, reader, card)
    with reader.session() as transmit:
        read = emv.read(transmit, TERMINAL)
    assert read.summary == emv.CardSummary(
        "A000000333010101", "UnionPay Debit", "622202*********0123", "2812", "01"
    ), path
    assert "6222021234567840123" not in repr(read) and "6222021234567840123" not in str(read)
    assert read.sensitive.for_authorization()["pan"] == "6222021234567840123"
    assert read.sensitive.for_authorization()["track2"].startswith("6222021234567840123D2812")


def test_emv_visa(slot: VpcdSlot, reader: PcscReader) -> None:
    insert(slot, reader, EmvCard(profile=VISA))
    with reader.session() as transmit:
        read = emv.read(transmit, TERMINAL)
    assert (read.summary.masked_pan, read.summary.label) == ("476173******0119", "VISA DEBIT")


def test_card_with_no_known_application(slot: VpcdSlot, reader: PcscReader) -> None:
    insert(slot, reader, UnknownCard())
    with reader.session() as transmit, pytest.raises(emv.NoApplication):
        emv.read(transmit, TERMINAL)


def test_unexpected_status_word_is_named(slot: VpcdSlot, reader: PcscReader) -> None:
    insert(slot, reader, UnknownCard())
    with reader.session() as transmit, pytest.raises(StatusWordError, match="6A82") as error:
        account.read_identity(transmit)  # not an account card
    assert error.value.sw == 0x6A82


def test_mute_card(slot: VpcdSlot, reader: PcscReader) -> None:
    insert(slot, reader, MuteVirtualCard())
    with reader.session() as transmit, pytest.raises(MuteCard, match="does not answer"):
        emv.read(transmit, TERMINAL)


def test_no_card_in_the_reader(pcscd: str) -> None:
    with pytest.raises(CardRemoved, match="no card"), PcscReader("Virtual PCD 00 01").session():
        pass


def test_no_such_reader(pcscd: str) -> None:
    with pytest.raises(NoReader, match="no PC/SC reader"), PcscReader("Acme 3000").session():
        pass


def test_watcher_sees_insert_and_removal(slot: VpcdSlot, reader: PcscReader) -> None:
    events: queue.Queue[CardInserted | CardPulled] = queue.Queue()
    watcher = CardWatcher(events.put)
    try:
        slot.insert(AccountCard())
        inserted = events.get(timeout=10)
        while not isinstance(inserted, CardInserted):
            inserted = events.get(timeout=10)
        assert inserted.reader.startswith("Virtual PCD 00 00") and inserted.atr
        slot.remove()
        pulled = events.get(timeout=10)
        while not isinstance(pulled, CardPulled):
            pulled = events.get(timeout=10)
        assert pulled.reader.startswith("Virtual PCD 00 00")
    finally:
        watcher.stop()


def test_watcher_sees_a_card_swapped_between_two_polls(slot: VpcdSlot, reader: PcscReader) -> None:
    events: queue.Queue[CardInserted | CardPulled] = queue.Queue()
    insert(slot, reader, EmvCard())
    watcher = CardWatcher(events.put, interval_s=3.0)  # polls far apart
    try:
        first = events.get(timeout=10)
        assert isinstance(first, CardInserted)
        insert(slot, reader, AccountCard())  # out and in again within one interval
        seen = [events.get(timeout=10), events.get(timeout=10)]
        assert [type(x) for x in seen] == [CardPulled, CardInserted]
    finally:
        watcher.stop()


# A card that vanishes in the middle of a command leaves vpcd's slot dead:
# pcscd stops polling it until it restarts. These tests restart the pcscd
# they started, and skip (saying why) where pcscd was started by someone else.
@pytest.fixture
def fresh_slot(pcscd_service: Pcscd) -> Iterator[VpcdSlot]:
    if not pcscd_service.ours:
        pytest.skip("pcscd was not started by the tests: they cannot restart it after a pull")
    s = VpcdSlot(1)
    yield s
    s.remove()
    pcscd_service.restart()


@pytest.fixture
def last_reader(pcscd: str) -> PcscReader:
    return PcscReader("Virtual PCD 00 01")


def test_card_pulled_mid_write(fresh_slot: VpcdSlot, last_reader: PcscReader) -> None:
    card = AccountCard(account="3301234568")
    card.pull_after = 2  # select app, select file, then gone before the write
    insert(fresh_slot, last_reader, card)
    with last_reader.session() as transmit, pytest.raises(CardRemoved, match="removed"):
        account.write_purchase(transmit, KEY, "3301234568", account.Purchase(1, "10.00", 538))


def test_card_pulled_mid_read(fresh_slot: VpcdSlot, last_reader: PcscReader) -> None:
    card = EmvCard()
    card.pull_after = 3
    insert(fresh_slot, last_reader, card)
    with last_reader.session() as transmit, pytest.raises(CardRemoved):
        emv.read(transmit, TERMINAL)


def test_kiosk_sim_card_from_the_command_line(pcscd: str) -> None:
    script = Path(sys.executable).with_name("kiosk-sim")
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    reader = PcscReader(pcscd)
    with subprocess.Popen(
        [str(script), "card", "insert", "account", "3301234568"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    ) as sim:  # fmt: skip
        assert sim.stdin is not None and sim.stdout is not None
        assert "vpcd slot 0" in sim.stdout.readline()
        deadline = time.monotonic() + 15
        while reader.atr() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        with reader.session() as transmit:
            assert account.read_identity(transmit).account == "3301234568"
        sim.stdin.write("remove\nquit\n")
        sim.stdin.flush()
        assert sim.wait(timeout=10) == 0


def test_a_pcscd_without_the_virtual_readers_is_replaced(
    pcscd_service: Pcscd, tmp_path: Path
) -> None:
    """As apt's postinst may leave one on a fresh machine: it holds pcscd's
    socket, so a second could not start; ``ensure`` stops it and starts its own."""
    if not pcscd_service.ours:
        pytest.skip("pcscd was not started by the tests: they cannot replace it")
    pcscd_service.stop()
    subprocess.run(["pcscd", "-c", str(tmp_path)], check=True)  # no reader.conf.d entries
    wait_gone = time.monotonic() + 10
    while running_pcscd() == [] and time.monotonic() < wait_gone:
        time.sleep(0.05)
    foreign = running_pcscd()
    assert foreign and virtual_readers() == []
    pcscd_service.ensure()
    assert virtual_readers() == ["Virtual PCD 00 00", "Virtual PCD 00 01"]
    assert pcscd_service.process is not None
    assert running_pcscd() == [pcscd_service.process.pid]
