"""A receipt printer: our status checks around python-escpos output.

* Status is read with DLE EOT 1–4 and a timeout (``status.decode``); silence
  is "no answer", never "paper OK".
* ``print`` checks the status before a receipt (nothing is sent to a printer
  that cannot print) and after it (paper that ran out mid-receipt, or a
  printer that went quiet, make the receipt failed, to be reprinted).
* Chinese goes out as GB18030 with the printer in Chinese mode (FS &), or, for
  a printer without a CJK font (``CjkMode.RASTER``), as pictures of the text.
* Text is sent raw: python-escpos' code-page switching (ESC t) is wrong for a
  printer in Chinese mode, and it drops full-width forms like ￥.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from escpos.escpos import Escpos
from PIL import Image, ImageDraw, ImageFont

from drivers.printer.document import (
    Align,
    Document,
    Feed,
    QrCode,
    Row,
    Rule,
    Text,
    cells,
    fit,
    row,
)
from drivers.printer.fonts import cjk_font
from drivers.printer.status import QUERIES, Health, PrinterStatus, decode, query

log = logging.getLogger(__name__)
FS_CHINESE_ON = b"\x1c\x26"


class CjkMode(enum.Enum):
    NATIVE = "native"  # the printer has a GB18030 font
    RASTER = "raster"  # it has none: Chinese lines are printed as images


@dataclass(frozen=True, slots=True)
class PrintResult:
    printed: bool
    before: Health
    after: Health | None  # None when nothing was sent
    error: str | None = None


class ReceiptPrinter:
    def __init__(
        self,
        connect: Callable[[], Escpos],
        *,
        columns: int = 48,
        width_px: int = 576,
        cjk: CjkMode = CjkMode.NATIVE,
    ) -> None:
        self._connect = connect
        self.columns = columns
        self.width_px = width_px
        self.cjk = cjk
        self.last_status: PrinterStatus | None = None

    # -- status -------------------------------------------------------------
    def status(self) -> PrinterStatus:
        try:
            printer = self._connect()
        except Exception as exc:  # python-escpos raises many kinds when it cannot connect
            log.info("printer: cannot connect: %s", exc)
            return self._remember(PrinterStatus(answered=False))
        try:
            return self._remember(self._query(printer))
        finally:
            _close(printer)

    def _query(self, printer: Escpos) -> PrinterStatus:
        replies: dict[int, int | None] = {}
        for n in QUERIES:
            try:
                printer._raw(query(n))
                data = printer._read()
            except Exception as exc:  # a timeout or a dropped connection: no answer
                log.info("printer: DLE EOT %d unanswered: %s", n, exc)
                data = b""
            replies[n] = data[-1] if data else None
        return decode(replies)

    def _remember(self, status: PrinterStatus) -> PrinterStatus:
        self.last_status = status
        return status

    # -- printing -----------------------------------------------------------
    def print(self, document: Document) -> PrintResult:
        try:
            printer = self._connect()
        except Exception as exc:
            self._remember(PrinterStatus(answered=False))
            return PrintResult(False, Health.NO_ANSWER, None, f"cannot connect: {exc}")
        try:
            before = self._remember(self._query(printer)).health
            if not before.can_print:
                return PrintResult(False, before, None, f"printer {before.value}")
            try:
                self._render(printer, document)
            except Exception as exc:
                return PrintResult(False, before, Health.NO_ANSWER, f"lost mid-receipt: {exc}")
            after = self._remember(self._query(printer)).health
            if after in (Health.PAPER_OUT, Health.NO_ANSWER, Health.COVER_OPEN):
                return PrintResult(False, before, after, f"printer {after.value} mid-receipt")
            return PrintResult(True, before, after)
        finally:
            _close(printer)

    def _render(self, p: Escpos, document: Document) -> None:
        p.hw("INIT")
        if self.cjk is CjkMode.NATIVE:
            p._raw(FS_CHINESE_ON)
        for block in document.blocks:
            if isinstance(block, Text):
                large = block.large and cells(block.text) <= self.columns // 2  # else: no wrap
                p.set(align=block.align.value, bold=block.bold, double_height=large,
                      double_width=large, normal_textsize=not large)  # fmt: skip
                columns = self.columns // 2 if large else self.columns
                self._lines(p, fit(block.text, columns))
            elif isinstance(block, Row):
                p.set(align="left", bold=block.bold, normal_textsize=True)
                self._lines(p, row(block.left, block.right, self.columns))
            elif isinstance(block, Rule):
                p.set(align="left", bold=False, normal_textsize=True)
                self._lines(p, [block.char * self.columns])
            elif isinstance(block, QrCode):
                p.set(align="center", bold=False, normal_textsize=True)
                p.qr(block.data, size=block.module, native=True)
                p._raw(b"\n")
            elif isinstance(block, Feed):
                p._raw(b"\n" * block.lines)
        p.cut()

    def _lines(self, p: Escpos, lines: list[str]) -> None:
        for line in lines:
            if self.cjk is CjkMode.NATIVE or line.isascii():
                p._raw(line.encode("gb18030") + b"\n")
            else:
                p.image(self._picture(line), impl="bitImageRaster")

    def _picture(self, line: str) -> Image.Image:
        """A Chinese line as pixels, for printers without a CJK font."""
        width = min(self.width_px, max(1, cells(line)) * 12)
        image = Image.new("1", (width, 24), 1)
        font = ImageFont.truetype(cjk_font(), size=22, index=1)
        ImageDraw.Draw(image).text((0, 1), line, font=font, fill=0)
        return image


def _close(printer: Escpos) -> None:
    close = getattr(printer, "close", None)
    try:
        if callable(close):
            close()
    except Exception as exc:
        log.debug("printer: close failed: %s", exc)


__all__ = ["Align", "CjkMode", "PrintResult", "ReceiptPrinter"]
