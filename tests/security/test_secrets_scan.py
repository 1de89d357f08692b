"""After card journeys at the whole kiosk (a bank card, a technician card, a
maintenance PIN, the account card buying prepaid units), nothing secret is
anywhere it could leak from: the journal's files, every other file under the
data folder, the logs, the receipts, and what the server received (its whole
database file)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from central.books import customers
from central.serve import running
from drivers.sim.pcscd import Slot
from drivers.sim.vicc import UNIONPAY, AccountCard, EmvCard, TechnicianCard
from kiosk.flow import State
from tests.kiosk.test_central_client import seed
from tests.ui.rig import insert_note, printer, start_kiosk, state, to_paying, touch, view
from tests.ui.test_card_journeys import KEY_HEX, STAFF_KEY, card_reader
from ui.app import KioskUi

PIN = "246810"  # the demo technician PIN in the embedded defaults


def secrets(token: str) -> dict[str, bytes]:
    return {
        "PAN": UNIONPAY.pan.encode(),
        "PAN (BCD, as on the card)": bytes.fromhex(UNIONPAY.pan[:16]),
        "maintenance PIN": PIN.encode(),
        "account card key": bytes.fromhex(KEY_HEX),
        "account card key (hex)": KEY_HEX.encode(),
        "staff card key": STAFF_KEY,
        "staff card key (hex)": STAFF_KEY.hex().encode(),
        "bearer token": token.encode(),
    }


def journeys(qtbot: QtBot, ui: KioskUi, slot: Slot) -> None:
    # a bank card pays the seeded bill
    to_paying(qtbot, ui, "银行卡")
    qtbot.waitUntil(lambda: state(ui) is State.CARD_PAYING, timeout=10_000)
    slot.insert(EmvCard())
    qtbot.waitUntil(lambda: state(ui) is State.DONE, timeout=20_000)
    qtbot.waitUntil(lambda: bool(printer(ui).receipts), timeout=10_000)
    slot.remove()
    touch(qtbot, ui, "完成")
    qtbot.waitUntil(lambda: state(ui) is State.ATTRACT, timeout=10_000)
    # a technician: card, then the PIN pad
    slot.insert(TechnicianCard(key=STAFF_KEY, staff_id="T-0042", role="technician"))
    qtbot.waitUntil(lambda: state(ui) is State.MAINTENANCE, timeout=15_000)
    ui.app.maintenance.leave()
    qtbot.waitUntil(lambda: state(ui) is State.ATTRACT, timeout=10_000)
    slot.remove()
    assert ui.app.maintenance.enter_pin("000000").role is None  # a wrong one is journaled
    assert ui.app.maintenance.enter_pin(PIN).role is not None
    qtbot.waitUntil(lambda: state(ui) is State.MAINTENANCE, timeout=10_000)
    ui.app.maintenance.leave()
    qtbot.waitUntil(lambda: state(ui) is State.ATTRACT, timeout=10_000)
    # the account card identifies the customer, who buys prepaid units in cash
    slot.insert(AccountCard(account="3301234568", service="electricity"))
    qtbot.waitUntil(lambda: state(ui) is State.BILL_SHOWN, timeout=15_000)
    touch(qtbot, ui, "¥100.00")
    qtbot.waitUntil(lambda: state(ui) is State.CHOOSE_METHOD)
    touch(qtbot, ui, "现金")
    insert_note(qtbot, ui, 100)
    qtbot.waitUntil(lambda: state(ui) is State.DONE, timeout=20_000)
    qtbot.waitUntil(lambda: not view(ui).card_writing, timeout=10_000)


def test_no_pan_pin_or_key_anywhere_after_card_journeys(
    qtbot: QtBot,
    tmp_path: Path,
    pcscd: str,
    slot: Slot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with running(tmp_path / "central.db") as central:
        seed(central)
        with central.app.state.engine.begin() as conn:
            customers.add_account(conn, "electricity", "3301234568", "陈*", prepaid=True,
                                  credit_fen=320, usage="2700")  # fmt: skip
        ui = start_kiosk(qtbot, tmp_path, central, card_reader=card_reader(pcscd))
        try:
            journeys(qtbot, ui, slot)
            journal = ui.app.journal
            assert journal is not None
            qtbot.waitUntil(lambda: journal.outbox_counts()["pending"] == 0, timeout=15_000)
            receipts = "\n".join(r.text for r in printer(ui).receipts)
        finally:
            ui.stop()
    token = json.loads((tmp_path / "var" / "central.json").read_text())["token"]
    places: dict[str, bytes] = {
        "logs": caplog.text.encode(),
        "receipts": receipts.encode(),
        "central database (uploads)": (tmp_path / "central.db").read_bytes(),
    }
    for path in sorted((tmp_path / "var").rglob("*")):
        if path.is_file() and path.name != "central.json":  # the token's own file
            places[f"data folder: {path.name}"] = path.read_bytes()
    assert any(name.startswith("data folder: journal.db") for name in places)
    assert "622202*********0123" in receipts  # the masked PAN is there, the full one not
    leaks = [
        f"{secret} in {place}"
        for secret, value in secrets(token).items()
        for place, content in places.items()
        if value in content
    ]
    assert leaks == []
