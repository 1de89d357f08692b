"""A simulated ESC/POS receipt printer, sans-I/O: bytes in, status bytes out.

It parses what a host sends into a receipt model — text lines with bold,
size and alignment (GB18030 in Chinese mode, FS & / FS .), raster images
(GS v 0), QR codes (GS ( k store + print), feeds and cuts — and answers
DLE EOT 1–4 from its state. A cut ends a receipt. Unknown commands are
counted, not fatal.

Faults: ``paper_out`` (now, or ``paper_runs_out_after`` more lines: offline
mid-job, the rest is lost), ``paper_near_end``, ``cover_open``, ``silent``
(no answer at all).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from drivers.printer.status import PrinterStatus, encode

ESC, GS, FS, DLE, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x0A


@dataclass
class Line:
    kind: str  # "text", "image", "qr", "feed"
    text: str = ""
    bold: bool = False
    width: int = 1  # character magnification
    height: int = 1
    align: str = "left"
    image: tuple[int, int, bytes] | None = None  # (width px, height px, 1-bit rows)
    qr_size: int = 3


@dataclass
class Receipt:
    lines: list[Line] = field(default_factory=list)
    cut: bool = False

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines if line.kind == "text")

    @property
    def qr_codes(self) -> list[str]:
        return [line.text for line in self.lines if line.kind == "qr"]


@dataclass
class EscposDevice:
    paper_out: bool = False
    paper_near_end: bool = False
    cover_open: bool = False
    silent: bool = False
    delay_s: float = 0.0
    paper_runs_out_after: int | None = None  # lines until the roll ends mid-job
    receipts: list[Receipt] = field(default_factory=list)
    unknown: list[bytes] = field(default_factory=list)
    on_receipt: object = None  # callable(Receipt) once a receipt is cut
    _buffer: bytearray = field(default_factory=bytearray)
    _current: Receipt = field(default_factory=Receipt)
    _text: bytearray = field(default_factory=bytearray)
    _chinese: bool = False
    _bold: bool = False
    _width: int = 1
    _height: int = 1
    _align: str = "left"
    _qr_data: str = ""
    _qr_size: int = 3
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def status(self) -> PrinterStatus:
        return PrinterStatus(
            answered=True,
            offline=self.paper_out or self.cover_open,
            cover_open=self.cover_open,
            paper_end=self.paper_out,
            paper_near_end=self.paper_near_end or self.paper_out,
        )

    def receive(self, data: bytes) -> bytes:
        with self._lock:
            if self.silent:
                return b""
            self._buffer.extend(data)
            return self._parse()

    # -- parsing ------------------------------------------------------------
    def _parse(self) -> bytes:  # noqa: PLR0912 - one branch per command family
        out = bytearray()
        buf = self._buffer
        while buf:
            byte = buf[0]
            if byte == DLE:
                if len(buf) < 3:
                    break
                if buf[1] == 0x04 and buf[2] in (1, 2, 3, 4):
                    out.append(encode(self.status)[buf[2]])
                del buf[:3]
            elif byte == ESC:
                used = self._esc(buf)
                if used == 0:
                    break
                del buf[:used]
            elif byte == GS:
                used = self._gs(buf)
                if used == 0:
                    break
                del buf[:used]
            elif byte == FS:
                if len(buf) < 2:
                    break
                if buf[1] == 0x26:
                    self._chinese = True
                elif buf[1] == 0x2E:
                    self._chinese = False
                else:
                    self.unknown.append(bytes(buf[:2]))
                del buf[:2]
            elif byte == LF:
                self._end_line()
                del buf[:1]
            elif byte == 0x0D:
                del buf[:1]
            else:
                self._text.append(byte)
                del buf[:1]
        return bytes(out)

    def _esc(self, buf: bytearray) -> int:
        if len(buf) < 2:
            return 0
        cmd = buf[1]
        if cmd == 0x40:  # ESC @
            self._reset()
            return 2
        one_arg = {0x21, 0x45, 0x61, 0x74, 0x64, 0x2D, 0x33, 0x4D, 0x47, 0x20, 0x7B, 0x56}
        if cmd in one_arg:
            if len(buf) < 3:
                return 0
            n = buf[2]
            if cmd == 0x21:  # ESC ! print mode
                self._bold = bool(n & 0x08)
                self._height = 2 if n & 0x10 else 1
                self._width = 2 if n & 0x20 else 1
            elif cmd == 0x45:
                self._bold = bool(n & 1)
            elif cmd == 0x61:
                self._align = {0: "left", 1: "center", 2: "right"}.get(n % 48, "left")
            elif cmd == 0x64:
                self._end_line(pending_only=True)
                for _ in range(n):
                    self._add(Line("feed"))
            return 3
        if cmd == 0x32:  # ESC 2
            return 2
        self.unknown.append(bytes(buf[:2]))
        return 2

    def _gs(self, buf: bytearray) -> int:  # noqa: PLR0911, PLR0912 - one case per command
        if len(buf) < 2:
            return 0
        cmd = buf[1]
        if cmd == 0x21:  # GS ! size
            if len(buf) < 3:
                return 0
            self._width, self._height = (buf[2] >> 4) + 1, (buf[2] & 0x0F) + 1
            return 3
        if cmd == 0x56:  # GS V cut
            if len(buf) < 3:
                return 0
            used = 4 if buf[2] in (65, 66) else 3
            if len(buf) < used:
                return 0
            self._cut()
            return used
        if cmd == 0x76:  # GS v 0 raster image
            if len(buf) < 8:
                return 0
            width_bytes = buf[4] | buf[5] << 8
            height = buf[6] | buf[7] << 8
            size = 8 + width_bytes * height
            if len(buf) < size:
                return 0
            self._end_line(pending_only=True)
            image = (width_bytes * 8, height, bytes(buf[8:size]))
            self._add(Line("image", align=self._align, image=image))
            return size
        if cmd == 0x28 and len(buf) >= 3 and buf[2] == 0x6B:  # GS ( k
            if len(buf) < 5:
                return 0
            size = 5 + (buf[3] | buf[4] << 8)
            if len(buf) < size:
                return 0
            self._qr(bytes(buf[5:size]))
            return size
        if cmd in (0x42, 0x48, 0x66, 0x68, 0x77, 0x61):  # one-byte settings
            return 3 if len(buf) >= 3 else 0
        if cmd in (0x4C, 0x57):  # GS L / GS W: two bytes
            return 4 if len(buf) >= 4 else 0
        self.unknown.append(bytes(buf[:2]))
        return 2

    def _qr(self, body: bytes) -> None:
        if len(body) < 2 or body[0] != 0x31:
            return
        fn = body[1]
        if fn == 0x43 and len(body) >= 3:
            self._qr_size = body[2]
        elif fn == 0x50:
            self._qr_data = body[3:].decode("utf-8", "replace")
        elif fn == 0x51:
            self._end_line(pending_only=True)
            self._add(Line("qr", text=self._qr_data, align=self._align, qr_size=self._qr_size))

    # -- the receipt --------------------------------------------------------
    def _reset(self) -> None:
        self._chinese, self._bold, self._width, self._height, self._align = (
            False, False, 1, 1, "left",
        )  # fmt: skip

    def _end_line(self, pending_only: bool = False) -> None:
        if pending_only and not self._text:
            return
        encoding = "gb18030" if self._chinese else "cp437"
        text = bytes(self._text).decode(encoding, "replace")
        self._text.clear()
        self._add(Line("text", text, self._bold, self._width, self._height, self._align))

    def _add(self, line: Line) -> None:
        if self.paper_out:
            return  # no paper: nothing comes out
        self._current.lines.append(line)
        if self.paper_runs_out_after is not None:
            self.paper_runs_out_after -= 1
            if self.paper_runs_out_after <= 0:
                self.paper_out, self.paper_runs_out_after = True, None

    def _cut(self) -> None:
        self._end_line(pending_only=True)
        receipt, self._current = self._current, Receipt()
        if self.paper_out and not receipt.lines:
            return
        receipt.cut = not self.paper_out
        self.receipts.append(receipt)
        if callable(self.on_receipt):
            self.on_receipt(receipt)
