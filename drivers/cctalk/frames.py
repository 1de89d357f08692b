"""ccTalk packets, sans-I/O.

* Simple checksum: ``[dest][n][source][header][data × n][checksum]``; all
  bytes sum to 0 modulo 256.
* CRC-16 (an option of the device): the source byte carries the CRC's low
  byte and the checksum byte its high byte; CRC-16/XMODEM (poly 0x1021, init
  0, not reflected) over dest, n, header and data. Replies go to address 1.
* ccTalk has no sync byte: a packet is found by its length and checksum.
  ``PacketParser`` tries each offset in turn, so garbage costs a few errors
  and never a lost good packet for long; the transport also clears it after
  the 50 ms inter-byte gap the spec allows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

HOST = 1
BILL_VALIDATOR = 40
COIN_ACCEPTOR = 2
OVERHEAD = 5


class Checksum(enum.Enum):
    SIMPLE = "simple"
    CRC16 = "crc16"


def crc16_xmodem(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = (crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


@dataclass(frozen=True, slots=True)
class Packet:
    dest: int
    source: int
    header: int
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class PacketError:
    detail: str


def encode(packet: Packet, checksum: Checksum = Checksum.SIMPLE) -> bytes:
    if len(packet.data) > 255:
        raise ValueError("a ccTalk packet carries at most 255 data bytes")
    n = len(packet.data)
    if checksum is Checksum.SIMPLE:
        body = bytes([packet.dest, n, packet.source, packet.header]) + packet.data
        return body + bytes([-sum(body) & 0xFF])
    crc = crc16_xmodem(bytes([packet.dest, n, packet.header]) + packet.data)
    return bytes([packet.dest, n, crc & 0xFF, packet.header]) + packet.data + bytes([crc >> 8])


def _decode(raw: bytes, checksum: Checksum) -> Packet | None:
    dest, n, third, header = raw[0], raw[1], raw[2], raw[3]
    data = raw[4 : 4 + n]
    if checksum is Checksum.SIMPLE:
        return Packet(dest, third, header, data) if sum(raw) & 0xFF == 0 else None
    crc = crc16_xmodem(bytes([dest, n, header]) + data)
    ok = third == crc & 0xFF and raw[-1] == crc >> 8
    return Packet(dest, 0, header, data) if ok else None  # CRC packets carry no source


class PacketParser:
    def __init__(self, checksum: Checksum = Checksum.SIMPLE) -> None:
        self.checksum = checksum
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Packet | PacketError]:
        self._buffer.extend(data)
        out: list[Packet | PacketError] = []
        while len(self._buffer) >= OVERHEAD:
            length = self._buffer[1] + OVERHEAD
            if len(self._buffer) < length:
                break
            raw = bytes(self._buffer[:length])
            packet = _decode(raw, self.checksum)
            if packet is None:
                del self._buffer[:1]
                out.append(PacketError(f"bad checksum in {raw.hex(' ')}"))
                continue
            del self._buffer[:length]
            out.append(packet)
        return out

    def clear(self) -> None:
        self._buffer.clear()

    @property
    def pending(self) -> int:
        return len(self._buffer)
