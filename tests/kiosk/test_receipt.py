"""Receipts built from journal records, printed through the simulated printer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from config.choices import PaymentMethod
from config.settings import PrinterSection
from drivers.printer.document import Document, QrCode, Row, Text
from drivers.sim.escpos_device import EscposDevice
from kiosk.flow import Notice, PayFlow, State
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.money import Language, Money
from kiosk.receipt import mask_account, receipt, sample_payment, voucher
from kiosk.shell.printing import ReceiptService, build_printer, paper_width_px, print_payment
from kiosk.shell.runner import FlowRunner
from launcher.cli import main
from offline_queue.journal import Journal
from tests.kiosk.flow_harness import SETTINGS, bill, yuan
from tests.waiting import wait_until


def lines(document: Document) -> list[str]:
    out = []
    for block in document.blocks:
        if isinstance(block, Text):
            out.append(block.text)
        elif isinstance(block, Row):
            out.append(f"{block.left} | {block.right}")
    return out


def test_zh_receipt_from_a_record() -> None:
    data, at, tx = sample_payment()
    text = "\n".join(lines(receipt(SETTINGS, data, at, tx, Language.ZH)))
    assert "户号 | ******4567" in text and "3301234567" not in text
    assert "实缴 | ￥114.60" in text
    assert "收款 | ￥120.00" in text
    assert "余额 | ￥5.40 已存入账户预存款" in text
    assert "10月电费 第1档 60kWh | ￥32.28" in text
    assert "时间 | 2026-11-24 16:30:00" in text  # the kiosk's time zone
    assert f"交易号 | {tx.replace('-', '')}" in text


def test_the_credit_set_against_the_bill_is_printed_and_comes_off_the_due() -> None:
    data, at, tx = sample_payment()
    data["details"]["bill"]["credit"] = {"minor": 372, "currency": "CNY"}
    text = "\n".join(lines(receipt(SETTINGS, data, at, tx, Language.ZH)))
    assert "预存款抵扣 | -￥3.72" in text
    assert "应缴 | ￥110.88" in text  # ￥32.28 + ￥82.32, less the credit


def test_en_receipt_and_its_qr_link() -> None:
    data, at, tx = sample_payment()
    document = receipt(SETTINGS, data, at, tx, Language.EN)
    text = "\n".join(lines(document))
    assert "Paid | CNY 114.60" in text and "Payment | Cash" in text
    assert "Location Civic Centre, ground floor lobby" in text
    [qr] = [b for b in document.blocks if isinstance(b, QrCode)]
    assert qr.data == f"https://pay.demo-city.cn/r/{tx}"


def card_record() -> dict[str, Any]:
    data, _, _ = sample_payment()
    return data | {
        "method": "card",
        "tendered": data["amount"],
        "excess": {"minor": 0, "currency": "CNY"},
        "excess_to": None,
        "details": {"masked_pan": "622202******1234", "auth_code": "A1B2C3"},
    }


def test_card_receipt_shows_only_the_masked_pan() -> None:
    text = "\n".join(
        lines(receipt(SETTINGS, card_record(), "2026-11-24T08:30:00+00:00", "t", Language.ZH))
    )
    assert "卡号 | 622202******1234" in text and "授权码 | A1B2C3" in text
    assert "收款" not in text  # no cash lines on a card payment


def test_purchase_receipt_lists_the_tiers() -> None:
    data, at, tx = sample_payment()
    data = data | {"details": {"units": "175.17", "unit": "kWh", "tiers": [
        {"tier": 1, "units": "60", "price": "0.538", "fen": 3228},
        {"tier": 2, "units": "115.17", "price": "0.588", "fen": 6772},
    ]}}  # fmt: skip
    text = "\n".join(lines(receipt(SETTINGS, data, at, tx, Language.ZH)))
    assert "购买 | 175.17 kWh" in text
    assert "  第2档 115.17kWh×￥0.588 | ￥67.72" in text


def test_voucher() -> None:
    text = "\n".join(
        lines(voucher(SETTINGS, Money(500), "2026-11-24T08:30:00+00:00", "t", Language.ZH))
    )
    assert "退款凭证" in text and "￥5.00" in text and "客服热线 400-800-1234" in text


@pytest.mark.parametrize(
    ("account", "masked"), [("3301234567", "******4567"), ("123", "123"), (None, "-")]
)
def test_mask_account(account: str | None, masked: str) -> None:
    assert mask_account(account) == masked


def test_paper_out_during_a_payment_ends_in_an_e_receipt_then_a_reprint(tmp_path: Path) -> None:
    printing = build_printer(PrinterSection(connection="sim", status_timeout_ms=2000), tmp_path)
    assert printing.simulator is not None
    device: EscposDevice = printing.simulator.device
    device.paper_out = True
    with Journal(tmp_path / "j.db") as journal:
        services: list[ReceiptService] = []

        def service(command: c.Command) -> None:
            if isinstance(command, ReceiptService.COMMANDS):
                services[0].execute(command)

        runner = FlowRunner(PayFlow(SETTINGS), journal, services=service)
        services.append(ReceiptService(printing.printer, journal, SETTINGS, runner.post))
        runner.start()
        try:
            for event in (
                e.StartPressed(), e.ServiceChosen("water"), e.AccountEntered("12345678"),
                e.BillFound(bill("water", "12345678", "45.00")), e.AmountChosen(yuan("45.00")),
                e.MethodChosen(PaymentMethod.WECHAT), e.QrOrderCreated("WX1", "https://p/WX1"),
                e.QrPaid("WX1"),
            ):  # fmt: skip
                runner.post(event).wait(2)
            wait_until(lambda: runner.flow.state is State.DONE)
            view = runner.flow.view()
            assert view.notice is Notice.RECEIPT_FAILED  # the screen offers the e-receipt
            assert view.transaction is not None
            [failed] = journal.latest(["receipt_failed"])
            assert "paper_out" in failed.data["reason"]
            device.paper_out = False  # a technician puts paper in
            result = print_payment(
                printing.printer, journal, SETTINGS, view.transaction, Language.ZH
            )
            assert result is not None and result.printed
            wait_until(lambda: any(tmp_path.glob("printed-*.png")))
            png = next(tmp_path.glob("printed-*.png"))
            with Image.open(png) as image:
                texts = [r.text for r in zxingcpp.read_barcodes(image)]
            assert texts == [f"https://pay.demo-city.cn/r/{view.transaction}"]
        finally:
            runner.stop()
            services[0].stop()
            printing.stop()


def test_cli_sample_receipt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["receipt", "sample", "--lang", "en", "--paper", "58", "--out", str(tmp_path)]) == 0
    assert "printed" in capsys.readouterr().out
    [png] = list(tmp_path.glob("*.png"))
    with Image.open(png) as image:
        assert image.width == 384 + 32  # 58 mm paper and the margins


def test_cli_reprint_unknown_transaction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "j.db"
    Journal(db).close()
    code = main(["receipt", "reprint", "nope", "--db", str(db), "--out", str(tmp_path)])
    assert code == 2
    assert "no payment nope" in capsys.readouterr().err


def test_print_commands_go_to_the_service_others_do_not(tmp_path: Path) -> None:
    printing = build_printer(PrinterSection(connection="sim"), None)
    try:
        with Journal(tmp_path / "j.db") as journal:
            service = ReceiptService(printing.printer, journal, SETTINGS, lambda ev: None)
            with pytest.raises(TypeError, match="not a printer command: DisableAcceptor"):
                service.execute(c.DisableAcceptor())
            service.stop()
    finally:
        printing.stop()


def test_the_service_reports_printing_off_and_back_on(tmp_path: Path) -> None:
    printing = build_printer(PrinterSection(connection="sim", status_timeout_ms=2000), None)
    assert printing.simulator is not None
    device: EscposDevice = printing.simulator.device
    posted: list[e.Event] = []
    try:
        with Journal(tmp_path / "j.db") as journal:
            service = ReceiptService(printing.printer, journal, SETTINGS, posted.append)
            device.paper_out = True
            service.check_status()
            wait_until(lambda: e.PrinterChanged(False, True) in posted)
            device.paper_out = False
            device.paper_near_end = True
            service.check_status()
            wait_until(lambda: posted[-1] == e.PrinterChanged(True, True))
            service.stop()
    finally:
        printing.stop()


@pytest.mark.parametrize(
    "section",
    [
        PrinterSection(connection="usb", usb_vendor=0x0416, usb_product=0x5011),
        PrinterSection(connection="serial", device="/dev/kiosk-printer-absent"),
    ],
)
def test_a_printer_that_is_not_there_is_no_answer(section: PrinterSection) -> None:
    printing = build_printer(section)
    result = printing.printer.print(Document((Text("x"),)))
    assert not result.printed and result.before.value == "no_answer"


@pytest.mark.parametrize(
    ("section", "dots"),
    [
        (PrinterSection(profile="TM-T20II"), 576),  # 80 mm paper, 48 columns
        (PrinterSection(profile="ZJ-5870"), 384),  # 58 mm paper, 32 columns
        (PrinterSection(profile="default"), 576),  # no width in the profile
        (PrinterSection(profile="TM-T20II", paper_mm=58), 384),
    ],
)
def test_width_comes_from_the_profile(section: PrinterSection, dots: int) -> None:
    assert paper_width_px(section) == dots
