"""Receipt printing through python-escpos to the simulator, over TCP and a pty."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import zxingcpp
from escpos.printer import Network, Serial
from PIL import Image

from drivers.printer.document import Align, Document, Feed, QrCode, Row, Rule, Text, cells, fit
from drivers.printer.printer import CjkMode, ReceiptPrinter
from drivers.printer.status import Health, PrinterStatus, decode, encode, valid
from drivers.sim import receipt_png
from drivers.sim.escpos_device import EscposDevice
from drivers.sim.escpos_server import EscposServer, free_port
from drivers.sim.pty import PtyServer

DOC = Document(
    (
        Text("示例市公用事业缴费中心", bold=True, large=True, align=Align.CENTER),
        Rule(),
        Row("户号 Account", "****4567"),
        Row("实缴 Paid", "￥166.40", bold=True),
        Feed(),
        QrCode("https://pay.example.cn/r/0b5c6f0e"),
        Text("客服热线 400-800-1234", align=Align.CENTER),
    )
)

# -- status bits --------------------------------------------------------------


@pytest.mark.parametrize(
    ("replies", "health"),
    [
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}, Health.OK),
        ({1: 0x1A, 2: 0x12, 3: 0x12, 4: 0x12}, Health.OFFLINE),  # DLE EOT 1 b3
        ({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}, Health.COVER_OPEN),  # DLE EOT 2 b2
        ({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x12}, Health.PAPER_OUT),  # DLE EOT 2 b5
        ({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12}, Health.CUTTER_ERROR),  # DLE EOT 3 b3
        ({1: 0x1A, 2: 0x52, 3: 0x32, 4: 0x12}, Health.ERROR),  # unrecoverable b5
        ({1: 0x12, 2: 0x12, 3: 0x16, 4: 0x12}, Health.ERROR),  # recoverable b2
        ({1: 0x12, 2: 0x12, 3: 0x52, 4: 0x12}, Health.ERROR),  # auto-recoverable b6
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E}, Health.PAPER_LOW),  # DLE EOT 4 b2+b3
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x72}, Health.PAPER_OUT),  # DLE EOT 4 b5+b6
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: None}, Health.NO_ANSWER),
        ({1: 0x12, 2: 0x12, 3: 0x12}, Health.NO_ANSWER),
        ({1: 0x00, 2: 0x12, 3: 0x12, 4: 0x12}, Health.NO_ANSWER),  # fixed bits wrong
        ({1: 0x93, 2: 0x12, 3: 0x12, 4: 0x12}, Health.NO_ANSWER),
    ],
)
def test_status_bits(replies: dict[int, int | None], health: Health) -> None:
    assert decode(replies).health is health


def test_fixed_bits() -> None:
    assert valid(0x12) and valid(0x7E) and not valid(0x13) and not valid(0x92)


@pytest.mark.parametrize(
    "status",
    [
        PrinterStatus(True),
        PrinterStatus(True, offline=True, cover_open=True),
        PrinterStatus(True, offline=True, paper_end=True, paper_near_end=True),
        PrinterStatus(True, paper_near_end=True),
        PrinterStatus(True, offline=True, cutter_error=True),
    ],
)
def test_simulator_bytes_decode_to_the_same_status(status: PrinterStatus) -> None:
    assert decode(dict(encode(status))).health is status.health


def test_health_says_who_can_print() -> None:
    assert [h for h in Health if h.can_print] == [Health.OK, Health.PAPER_LOW]


# -- printing -----------------------------------------------------------------


@contextmanager
def network(device: EscposDevice, **kwargs: object) -> Iterator[ReceiptPrinter]:
    with EscposServer(device, port=0) as server:
        yield ReceiptPrinter(
            lambda: Network(server.host, server.port, timeout=0.5, profile="TM-T20II"),
            **kwargs,  # type: ignore[arg-type]
        )


def wait_receipts(device: EscposDevice, count: int = 1) -> None:
    deadline = time.monotonic() + 3
    while len(device.receipts) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(device.receipts) >= count


def decode_qr(path: Path) -> list[str]:
    with Image.open(path) as image:
        return [r.text for r in zxingcpp.read_barcodes(image)]


def test_print_over_tcp_and_read_the_qr_back(tmp_path: Path) -> None:
    device = EscposDevice()
    with network(device) as printer:
        result = printer.print(DOC)
    assert result.printed and result.before is Health.OK and result.after is Health.OK
    wait_receipts(device)
    receipt = device.receipts[0]
    assert receipt.cut
    assert "示例市公用事业缴费中心" in receipt.text
    assert "****4567" in receipt.text and "1234567" not in receipt.text.replace("400-800-1234", "")
    assert "￥166.40" in receipt.text
    assert receipt.qr_codes == ["https://pay.example.cn/r/0b5c6f0e"]
    title = next(line for line in receipt.lines if line.kind == "text")
    assert (title.bold, title.width, title.height, title.align) == (True, 2, 2, "center")
    png = receipt_png.save(receipt, tmp_path / "receipt.png")
    assert decode_qr(png) == ["https://pay.example.cn/r/0b5c6f0e"]
    assert device.unknown == []


def test_print_over_a_pty() -> None:
    device = EscposDevice()
    with PtyServer(device) as server:
        printer = ReceiptPrinter(lambda: Serial(server.path, baudrate=9600, timeout=0.5))
        assert printer.status().health is Health.OK
        assert printer.print(DOC).printed
    wait_receipts(device)
    assert "￥166.40" in device.receipts[0].text


def test_58mm_rows_fit_32_columns() -> None:
    device = EscposDevice()
    with network(device, columns=32, width_px=384) as printer:
        printer.print(DOC)
    wait_receipts(device)
    widths = [cells(line.text) for line in device.receipts[0].lines if line.kind == "text"]
    assert max(widths) == 32


def test_raster_fallback_draws_chinese_as_images() -> None:
    device = EscposDevice()
    with network(device, cjk=CjkMode.RASTER) as printer:
        assert printer.print(DOC).printed
    wait_receipts(device)
    kinds = [line.kind for line in device.receipts[0].lines]
    assert "image" in kinds
    assert not any("户号" in line.text for line in device.receipts[0].lines)


def test_python_escpos_own_api_renders(tmp_path: Path) -> None:
    """A receipt made with python-escpos' API, not our layout code."""
    device = EscposDevice()
    with EscposServer(device, port=0) as server:
        p = Network(server.host, server.port, timeout=0.5, profile="TM-T20II")
        p.set(align="center", bold=True, double_height=True, double_width=True)
        p.text("RECEIPT\n")
        p.set(align="left", bold=False, normal_textsize=True)
        p.text("Total: 12.30\n")
        p.image(Image.new("1", (64, 16), 0))
        p.qr("https://example.cn/q", size=4, native=True)
        p.qr("IMG-QR", size=4, native=False)
        p.cut()
        p.close()
        wait_receipts(device)  # before the server stops
    receipt = device.receipts[0]
    assert receipt.text.splitlines()[:2] == ["RECEIPT", "Total: 12.30"]
    assert receipt.qr_codes == ["https://example.cn/q"]
    assert sum(1 for line in receipt.lines if line.kind == "image") == 2
    png = receipt_png.save(receipt, tmp_path / "api.png")
    assert set(decode_qr(png)) == {"https://example.cn/q", "IMG-QR"}


@pytest.mark.parametrize(
    ("device", "health"),
    [
        (EscposDevice(paper_out=True), Health.PAPER_OUT),
        (EscposDevice(cover_open=True), Health.COVER_OPEN),
    ],
)
def test_nothing_is_sent_to_a_printer_that_cannot_print(
    device: EscposDevice, health: Health
) -> None:
    with network(device) as printer:
        result = printer.print(DOC)
    assert (result.printed, result.before, result.after) == (False, health, None)
    time.sleep(0.1)
    assert device.receipts == []


def test_paper_near_end_prints_with_a_warning() -> None:
    device = EscposDevice(paper_near_end=True)
    with network(device) as printer:
        result = printer.print(DOC)
        assert result.printed and result.before is Health.PAPER_LOW
        assert printer.last_status is not None and printer.last_status.paper_near_end


def test_paper_running_out_mid_receipt_fails_it() -> None:
    device = EscposDevice(paper_runs_out_after=3)
    with network(device) as printer:
        result = printer.print(DOC)
    assert (result.printed, result.before, result.after) == (False, Health.OK, Health.PAPER_OUT)
    assert "mid-receipt" in (result.error or "")


def test_a_silent_printer_is_no_answer_not_paper_ok() -> None:
    device = EscposDevice(silent=True)
    with network(device) as printer:
        assert printer.status().health is Health.NO_ANSWER
        result = printer.print(DOC)
    assert (result.printed, result.before) == (False, Health.NO_ANSWER)


# python-escpos 3.1 leaves its socket unclosed when the connection is refused.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_no_printer_at_all() -> None:
    port = free_port()
    printer = ReceiptPrinter(lambda: Network("127.0.0.1", port, timeout=0.3))
    assert printer.status().health is Health.NO_ANSWER
    assert printer.print(DOC).error is not None


@pytest.mark.parametrize(
    ("text", "columns", "lines"),
    [
        ("Demo City Utilities Payment Centre", 32, ["Demo City Utilities Payment", "Centre"]),
        ("Claim it at a service hall or call the hotline", 32,
         ["Claim it at a service hall or", "call the hotline"]),
        ("凭此凭证到营业厅或致电客服热线退款", 16, ["凭此凭证到营业厅", "或致电客服热线退", "款"]),
        ("0b5c6f0e3f5e4c559a8e6a1f1d1d2b01", 16, ["0b5c6f0e3f5e4c55", "9a8e6a1f1d1d2b01"]),
    ],
)  # fmt: skip
def test_lines_break_at_spaces_where_there_are_any(
    text: str, columns: int, lines: list[str]
) -> None:
    assert fit(text, columns) == lines
