"""Customers at the whole kiosk: the screens (touched with pytest-qt), the app
shell on the Qt main thread, the real ID-003 driver against the simulated
acceptor on a pseudo-terminal, the simulated ESC/POS printer over TCP, and the
reference central server on loopback with a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import requests
from pytestqt.qtbot import QtBot

from central.serve import Central
from config.choices import PaymentMethod
from kiosk.flow import Notice, Outcome, State
from kiosk.money import Language, Money
from tests.ui.rig import (
    acceptor,
    insert_note,
    language,
    printer,
    shown_text,
    start_kiosk,
    state,
    to_bill,
    to_paying,
    touch,
    type_digits,
    view,
)
from ui.app import KioskUi
from ui.screens.done import DoneScreen
from ui.screens.qr_waiting import QrWaitingScreen


def test_cash_with_an_over_limit_note_returned_and_the_language_switched_mid_flow(
    qtbot: QtBot, kiosk: KioskUi
) -> None:
    touch(qtbot, kiosk, "点击开始")
    qtbot.waitUntil(lambda: state(kiosk) is State.CHOOSE_SERVICE)
    touch(qtbot, kiosk, "电费")
    qtbot.waitUntil(lambda: state(kiosk) is State.IDENTIFY)
    type_digits(qtbot, kiosk, "3301234567")
    touch(qtbot, kiosk, "确定")
    qtbot.waitUntil(lambda: state(kiosk) is State.BILL_SHOWN, timeout=10_000)
    touch(qtbot, kiosk, "English")  # mid-flow: the same bill, now in English
    assert language(kiosk) is Language.EN
    touch(qtbot, kiosk, "Pay CNY 166.40")
    qtbot.waitUntil(lambda: state(kiosk) is State.CHOOSE_METHOD)
    touch(qtbot, kiosk, "Cash")
    qtbot.waitUntil(lambda: state(kiosk) is State.CASH_INSERTING)
    device = acceptor(kiosk)
    qtbot.waitUntil(lambda: not device.inhibited, timeout=10_000)
    device.insert(100)
    qtbot.waitUntil(lambda: view(kiosk).paid == Money(10000), timeout=10_000)
    device.insert(100)  # ¥66.40 left, ¥10 over at most: this note comes back
    qtbot.waitUntil(lambda: view(kiosk).notice in (Notice.NOTE_OVER_LIMIT,
                    Notice.NOTE_REJECTED, Notice.NOTE_NOT_ACCEPTED), timeout=10_000)  # fmt: skip
    assert kiosk.window.screens[State.CASH_INSERTING].notice.isVisible()
    paid = view(kiosk).paid
    assert paid is not None and paid.minor == 10000
    device.insert(50)
    qtbot.waitUntil(lambda: device.stacked[-1:] == [50], timeout=10_000)
    device.insert(20)
    qtbot.waitUntil(lambda: state(kiosk) is State.DONE, timeout=15_000)
    done = view(kiosk)
    assert done.credited is not None and done.credited.minor == 360  # ¥170 for ¥166.40
    assert kiosk.window.screens[State.DONE].title.text() == "Payment complete. Thank you!"
    journal = kiosk.app.journal
    assert journal is not None
    [(transaction, record)] = journal.latest_transactions("payment_completed")
    assert record.data["amount"]["minor"] == 16640 and record.data["tendered"]["minor"] == 17000
    assert list((kiosk.app.data_dir.parent / "receipts").glob("*.png"))  # printed
    touch(qtbot, kiosk, "Finish")
    qtbot.waitUntil(lambda: state(kiosk) is State.ATTRACT)
    assert language(kiosk) is Language.ZH  # the next customer starts in Chinese
    # the account panel's reprint goes through the printer's own thread
    assert kiosk.app.receipts is not None
    reprinted: list[bool] = []
    kiosk.app.receipts.reprint(transaction, Language.ZH, reprinted.append)
    qtbot.waitUntil(lambda: reprinted == [True], timeout=10_000)
    assert len(list((kiosk.app.data_dir.parent / "receipts").glob("*.png"))) == 2


def test_qr_paid_on_the_sandbox_with_the_printer_out_of_paper_gives_an_e_receipt(
    qtbot: QtBot, kiosk: KioskUi
) -> None:
    printer(kiosk).paper_out = True
    to_paying(qtbot, kiosk, "支付宝")
    qtbot.waitUntil(lambda: view(kiosk).qr_url is not None, timeout=10_000)
    screen = kiosk.window.screens[State.QR_WAITING]
    assert isinstance(screen, QrWaitingScreen)
    assert screen.code.isVisible() and not screen.code.pixmap().isNull()
    requests.post(str(view(kiosk).qr_url), data={"pay": "1"}, timeout=5).raise_for_status()
    qtbot.waitUntil(lambda: state(kiosk) is State.DONE, timeout=15_000)
    done = kiosk.window.screens[State.DONE]
    assert isinstance(done, DoneScreen)
    assert view(kiosk).notice is Notice.RECEIPT_FAILED
    assert done.code.isVisible()  # the e-receipt's QR code instead of paper
    assert "电子凭条" in done.receipt.text()


def test_cancel_after_cash_adds_the_money_to_the_account_and_says_so(
    qtbot: QtBot, kiosk: KioskUi
) -> None:
    to_paying(qtbot, kiosk, "现金")
    insert_note(qtbot, kiosk, 50)
    qtbot.waitUntil(lambda: view(kiosk).paid == Money(5000), timeout=10_000)
    touch(qtbot, kiosk, "取消")
    qtbot.waitUntil(lambda: state(kiosk) is State.CANCELLED, timeout=10_000)
    assert "您的 ¥50.00 已作为预存款存入户号 3301234567" in shown_text(kiosk)
    journal = kiosk.app.journal
    assert journal is not None
    [(_, credit)] = journal.latest_transactions("credit_settled")
    assert credit.data["amount"]["minor"] == 5000
    assert journal.latest_transactions("payment_completed") == []
    qtbot.waitUntil(lambda: acceptor(kiosk).inhibited, timeout=5_000)  # no more notes taken
    touch(qtbot, kiosk, "确定")
    qtbot.waitUntil(lambda: state(kiosk) is State.ATTRACT)


def test_jam_during_payment_keeps_the_money_and_names_where_it_is(
    qtbot: QtBot, kiosk: KioskUi
) -> None:
    to_paying(qtbot, kiosk, "现金")
    insert_note(qtbot, kiosk, 100)
    qtbot.waitUntil(lambda: view(kiosk).paid == Money(10000), timeout=10_000)
    acceptor(kiosk).jam()
    qtbot.waitUntil(lambda: state(kiosk) is State.CANCELLED, timeout=15_000)
    text = shown_text(kiosk)
    assert "抱歉，设备发生故障" in text
    assert "您的 ¥100.00 已作为预存款存入户号 3301234567" in text
    journal = kiosk.app.journal
    assert journal is not None
    [(_, credit)] = journal.latest_transactions("credit_settled")
    assert credit.data["amount"]["minor"] == 10000
    touch(qtbot, kiosk, "确定")
    # with the acceptor jammed the kiosk says what still works instead of the attract screen
    qtbot.waitUntil(lambda: state(kiosk) is not State.CANCELLED, timeout=10_000)
    assert PaymentMethod.CASH not in view(kiosk).methods


def test_qr_expired_cancels_the_order_and_the_phone_can_no_longer_pay(
    qtbot: QtBot, tmp_path: Path, central: Central
) -> None:
    ui = start_kiosk(qtbot, tmp_path, central, timeouts={"qr_waiting": 2})
    try:
        to_paying(qtbot, ui, "微信支付")
        qtbot.waitUntil(lambda: view(ui).qr_url is not None, timeout=10_000)
        url = str(view(ui).qr_url)
        qtbot.waitUntil(lambda: state(ui) is State.CANCELLED, timeout=15_000)
        assert view(ui).outcome is Outcome.TIMED_OUT
        assert "二维码已过期，未完成支付" in shown_text(ui)
        assert "未扣任何款项。" in shown_text(ui)
        late = requests.post(url, data={"pay": "1"}, timeout=5)
        assert late.status_code == 409  # the order was cancelled on the server
        journal = ui.app.journal
        assert journal is not None
        assert journal.latest_transactions("payment_completed") == []
    finally:
        ui.stop()


def test_the_countdown_asks_are_you_there_then_ends_the_session(
    qtbot: QtBot, tmp_path: Path, central: Central
) -> None:
    ui = start_kiosk(qtbot, tmp_path, central, timeouts={"bill_shown": 3, "are_you_there": 3})
    try:
        to_bill(qtbot, ui)
        countdown = ui.window.countdown
        assert countdown.isVisible() and countdown.text().startswith("剩余")
        qtbot.waitUntil(lambda: state(ui) is State.ARE_YOU_THERE, timeout=10_000)
        touch(qtbot, ui, "是的，我需要更多时间")  # the customer is back: same bill
        qtbot.waitUntil(lambda: state(ui) is State.BILL_SHOWN)
        assert view(ui).bill is not None
        qtbot.waitUntil(lambda: state(ui) is State.ARE_YOU_THERE, timeout=10_000)
        qtbot.waitUntil(lambda: state(ui) is State.TIMED_OUT, timeout=10_000)
        assert "长时间无操作，本次服务已结束" in shown_text(ui)
        assert "未扣任何款项。" in shown_text(ui)
    finally:
        ui.stop()
