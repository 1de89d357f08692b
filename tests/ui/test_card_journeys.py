"""Customers with cards at the whole kiosk: bank cards and the account card go
through the real pcscd with the vsmartcard vpcd reader, the kiosk's own card
reader thread, and the reference server's sandbox acquirer; offline, the
account card buys prepaid units for cash within the offline limits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from uuid import UUID

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from central.books import customers, ledger
from central.db import card_reissues
from central.serve import Central, running
from config.choices import PaymentMethod
from devtools.simulators import Devices, SimulatorWindow
from drivers.cards import account
from drivers.sim.pcscd import Slot
from drivers.sim.vicc import UNIONPAY, AccountCard, EmvCard, EmvProfile, TechnicianCard
from kiosk.flow import Notice, State
from kiosk.money import Money
from tests.kiosk.test_central_client import seed
from tests.ui.rig import (
    insert_note,
    printer,
    shown_text,
    start_kiosk,
    state,
    to_paying,
    touch,
    type_digits,
    view,
)
from ui.app import KioskUi

KEY_HEX = "6b696f736b2d64656d6f2d63697479"  # the demo city's key in the embedded defaults


def card_reader(reader: str) -> dict[str, object]:
    return {"enabled": True, "reader": reader, "insert_timeout_s": 20, "account_key_hex": KEY_HEX}


@pytest.fixture
def kiosk(qtbot: QtBot, tmp_path: Path, pcscd: str) -> Iterator[KioskUi]:
    with running(tmp_path / "central.db") as central:
        seed(central)
        ui = start_kiosk(qtbot, tmp_path, central, card_reader=card_reader(pcscd))
        yield ui
        ui.stop()


def to_card_payment(qtbot: QtBot, ui: KioskUi) -> None:
    to_paying(qtbot, ui, "银行卡")
    qtbot.waitUntil(lambda: state(ui) is State.CARD_PAYING, timeout=10_000)
    assert "请插入银行卡" in shown_text(ui)


def test_bank_card_approved_prints_the_masked_pan(qtbot: QtBot, kiosk: KioskUi, slot: Slot) -> None:
    to_card_payment(qtbot, kiosk)
    slot.insert(EmvCard())
    qtbot.waitUntil(lambda: state(kiosk) is State.DONE, timeout=20_000)
    assert "缴费成功，谢谢！" in shown_text(kiosk)
    journal = kiosk.app.journal
    assert journal is not None
    [(_, done)] = journal.latest_transactions("payment_completed")
    assert done.data["method"] == "card" and done.data["amount"]["minor"] == 16640
    qtbot.waitUntil(lambda: bool(printer(kiosk).receipts), timeout=10_000)
    receipt = printer(kiosk).receipts[-1].text
    assert "622202*********0123" in receipt and UNIONPAY.pan not in receipt


def test_bank_card_declined_says_so_and_offers_the_methods_again(
    qtbot: QtBot, kiosk: KioskUi, slot: Slot
) -> None:
    to_card_payment(qtbot, kiosk)
    slot.insert(EmvCard(profile=EmvProfile(UNIONPAY.aid, "UnionPay", "6222020005000002", "281231")))
    qtbot.waitUntil(lambda: state(kiosk) is State.CHOOSE_METHOD, timeout=20_000)
    assert view(kiosk).notice is Notice.CARD_DECLINED
    assert "银行拒绝了此卡，未扣款。" in shown_text(kiosk)
    journal = kiosk.app.journal
    assert journal is not None
    assert journal.latest_transactions("payment_completed") == []
    touch(qtbot, kiosk, "现金")  # another way to pay the same bill
    qtbot.waitUntil(lambda: state(kiosk) is State.CASH_INSERTING)


def test_server_down_the_account_card_buys_prepaid_units_for_cash_within_the_limit(
    qtbot: QtBot, tmp_path: Path, pcscd: str, slot: Slot
) -> None:
    with ExitStack() as stack:
        central: Central = stack.enter_context(running(tmp_path / "central.db"))
        ui = start_kiosk(qtbot, tmp_path, central, card_reader=card_reader(pcscd))
        try:
            stack.close()  # the central server goes away
            qtbot.waitUntil(lambda: not view(ui).online, timeout=15_000)
            assert "网络中断" in shown_text(ui)
            card = AccountCard(account="3301234568", service="electricity")
            slot.insert(card)
            qtbot.waitUntil(lambda: state(ui) is State.BILL_SHOWN, timeout=15_000)
            touch(qtbot, ui, "输入其他金额（整元）")
            type_digits(qtbot, ui, "300")  # over the ¥200 a payment offline
            touch(qtbot, ui, "确定")
            qtbot.waitUntil(lambda: view(ui).notice is Notice.OFFLINE_LIMIT)
            assert view(ui).offline_limit == Money(20000)
            touch(qtbot, ui, "¥100.00")
            qtbot.waitUntil(lambda: state(ui) is State.CHOOSE_METHOD)
            assert view(ui).methods == (PaymentMethod.CASH,)
            touch(qtbot, ui, "现金")
            insert_note(qtbot, ui, 100)
            qtbot.waitUntil(lambda: state(ui) is State.DONE, timeout=20_000)
            journal = ui.app.journal
            assert journal is not None
            [(_, done)] = journal.latest_transactions("payment_completed")
            assert done.data["details"]["offline"] is True
            # the done screen asks to keep the card in until it is written, then says so
            qtbot.waitUntil(lambda: "已写入卡中，现在可以取卡。" in shown_text(ui), timeout=10_000)
            assert not view(ui).card_writing
            loads = ["card_loaded", "card_load_failed"]
            qtbot.waitUntil(lambda: bool(journal.latest(loads)), timeout=10_000)
            assert [r.kind for r in journal.latest(loads)] == ["card_loaded"]
            stored = account.decode_purchase(
                bytes.fromhex(KEY_HEX), "3301234568", bytes(card.purchase)
            )
            assert stored is not None
            assert stored.amount_fen == 10000
            assert stored.units == done.data["details"]["units"]
        finally:
            ui.stop()


def test_a_purchase_the_card_refused_is_written_at_its_next_visit(
    qtbot: QtBot, tmp_path: Path, pcscd: str, slot: Slot
) -> None:
    """The card refuses the write: paid, "not yet on your card", reported; the server
    keeps it for the card; the next time the card is in a kiosk the purchase goes on
    it, the customer is told, and the server stops offering it."""
    with running(tmp_path / "central.db") as central:
        with central.app.state.engine.begin() as conn:
            customers.add_account(conn, "electricity", "3301234568", "陈*", prepaid=True,
                                  credit_fen=320, usage="2700")  # fmt: skip
        ui = start_kiosk(qtbot, tmp_path, central, card_reader=card_reader(pcscd))
        journal = ui.app.journal
        assert journal is not None

        def offered() -> list[tuple[str, int]]:
            with central.app.state.engine.connect() as conn:
                rows = conn.execute(select(card_reissues.c.purchase, card_reissues.c.done))
                return [(r.purchase, r.done) for r in rows]

        try:
            card = AccountCard(account="3301234568", service="electricity", fail_writes=True)
            slot.insert(card)
            qtbot.waitUntil(lambda: state(ui) is State.BILL_SHOWN, timeout=15_000)
            touch(qtbot, ui, "¥100.00")
            qtbot.waitUntil(lambda: state(ui) is State.CHOOSE_METHOD)
            touch(qtbot, ui, "现金")
            insert_note(qtbot, ui, 100)
            qtbot.waitUntil(lambda: view(ui).notice is Notice.CARD_NOT_LOADED, timeout=20_000)
            assert state(ui) is State.DONE and not any(card.purchase)
            [(paid, done)] = journal.latest_transactions("payment_completed")
            qtbot.waitUntil(lambda: offered() == [(paid, 0)], timeout=15_000)
            with central.app.state.engine.connect() as conn:  # the server's books have it
                assert ledger.balance_of(conn, "card_pending:electricity:3301234568") == 10000
                assert ledger.balance_of(conn, "credit:electricity:3301234568") == 320
            slot.remove()
            touch(qtbot, ui, "完成")
            qtbot.waitUntil(lambda: state(ui) is State.ATTRACT, timeout=10_000)
            card.fail_writes = False  # another day, another kiosk: the card is fine
            slot.insert(card)
            qtbot.waitUntil(lambda: view(ui).notice is Notice.CARD_REISSUED, timeout=20_000)
            assert "您之前已付款的购买已写入卡中。" in shown_text(ui)
            stored = account.decode_purchase(
                bytes.fromhex(KEY_HEX), "3301234568", bytes(card.purchase)
            )
            assert stored is not None
            assert (stored.units, stored.amount_fen) == (done.data["details"]["units"], 10000)
            assert stored.reference == UUID(paid).bytes
            qtbot.waitUntil(lambda: offered() == [(paid, 1)], timeout=15_000)
            touch(qtbot, ui, "取消")
            qtbot.waitUntil(lambda: state(ui) in (State.CANCELLED, State.ATTRACT), timeout=5_000)
            slot.remove()
            slot.insert(card)  # and again: nothing more to write
            qtbot.waitUntil(lambda: state(ui) is State.BILL_SHOWN, timeout=15_000)
            assert view(ui).notice is None and not view(ui).card_writing
            assert len(journal.latest(["card_reissued"], limit=10)) == 1
        finally:
            ui.stop()


def test_the_simulator_window_inserts_an_account_card_off_the_ui_thread(
    qtbot: QtBot, kiosk: KioskUi, slot: Slot
) -> None:
    window = SimulatorWindow(Devices(None, None, slot, None, lambda: None))
    qtbot.addWidget(window)
    window.press("Account card: electricity 3301234567")
    qtbot.waitUntil(lambda: state(kiosk) is State.BILL_SHOWN, timeout=15_000)
    assert view(kiosk).account == "3301234567"
    qtbot.waitUntil(lambda: window.status.text().startswith("inserted"), timeout=5_000)
    window.press("Pull the card")
    qtbot.waitUntil(lambda: window.status.text() == "card pulled", timeout=5_000)
    assert slot.card is None


STAFF_KEY = bytes.fromhex("6b696f736b2d64656d6f2d7374616666")  # the demo city's staff-card key


def test_a_technician_card_opens_the_menu_and_a_forged_one_does_not(
    qtbot: QtBot, kiosk: KioskUi, slot: Slot
) -> None:
    journal = kiosk.app.journal
    assert journal is not None

    def actions(action: str) -> list[dict[str, object]]:
        return [e.data for e in journal.records_of(["maintenance"]) if e.data["action"] == action]

    slot.insert(TechnicianCard(key=b"a copied card without the key", staff_id="T-0666"))
    qtbot.waitUntil(lambda: bool(actions("card_refused")), timeout=15_000)
    assert "NotAuthentic" in str(actions("card_refused")[0]["why"])
    assert state(kiosk) is State.ATTRACT
    slot.remove()
    slot.insert(TechnicianCard(key=STAFF_KEY, staff_id="T-0042", role="technician"))
    qtbot.waitUntil(lambda: state(kiosk) is State.MAINTENANCE, timeout=15_000)
    assert view(kiosk).maintenance_role == "technician"
    [accepted] = actions("card_accepted")
    assert accepted["staff"] == "T-0042"
    assert actions("entered")[-1]["by"] == "T-0042"
    answers: list[str] = []
    kiosk.app.maintenance.card_read_test(answers.append)  # the card in the reader, named
    qtbot.waitUntil(lambda: bool(answers), timeout=15_000)
    assert answers[0] == "technician card: T-0042 (technician)"
