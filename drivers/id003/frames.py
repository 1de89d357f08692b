"""ID-003 framing: ``FC | LNG | CMD | DATA… | CRC-lo | CRC-hi``, sans-I/O.

* LNG is the whole frame's length, SYNC and CRC included (5 with no data).
* The CRC is CRC-16/KERMIT (poly 0x1021 reflected = 0x8408, init 0, no final
  XOR) over everything before it, sent low byte first.
* ``FrameParser`` takes bytes in any split and hands out frames; garbage before
  a SYNC, an impossible length or a bad CRC become ``FrameError``s and the
  parser resyncs on the next SYNC byte. It never raises on input.
"""

from __future__ import annotations

from dataclasses import dataclass

SYNC = 0xFC
MIN_LENGTH = 5
MAX_LENGTH = 255


def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _table()


def crc16_kermit(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc


@dataclass(frozen=True, slots=True)
class Frame:
    cmd: int
    data: bytes = b""

    def encode(self) -> bytes:
        return encode(self.cmd, self.data)


@dataclass(frozen=True, slots=True)
class FrameError:
    detail: str


def encode(cmd: int, data: bytes = b"") -> bytes:
    length = MIN_LENGTH + len(data)
    if length > MAX_LENGTH:
        raise ValueError(f"ID-003 frame too long: {length} bytes")
    body = bytes([SYNC, length, cmd]) + data
    crc = crc16_kermit(body)
    return body + bytes([crc & 0xFF, crc >> 8])


class FrameParser:
    """Bytes in, frames and errors out; resyncs on SYNC after any error."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        self._buffer.extend(data)
        out: list[Frame | FrameError] = []
        while self._buffer:
            start = self._buffer.find(SYNC)
            if start != 0:
                dropped = len(self._buffer) if start < 0 else start
                del self._buffer[:dropped]
                out.append(FrameError(f"discarded {dropped} byte(s) before SYNC"))
                continue
            if len(self._buffer) < 2:
                break
            length = self._buffer[1]
            if length < MIN_LENGTH:
                del self._buffer[:1]
                out.append(FrameError(f"impossible length {length}"))
                continue
            if len(self._buffer) < length:
                break
            raw = bytes(self._buffer[:length])
            crc = raw[-2] | raw[-1] << 8
            if crc16_kermit(raw[:-2]) != crc:
                del self._buffer[:1]
                out.append(FrameError(f"bad CRC in {raw.hex(' ')}"))
                continue
            del self._buffer[:length]
            out.append(Frame(raw[2], raw[3:-2]))
        return out

    def clear(self) -> None:
        self._buffer.clear()

    @property
    def pending(self) -> int:
        return len(self._buffer)
