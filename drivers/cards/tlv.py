"""BER-TLV (ISO 7816-4 / EMV), sans-I/O.

* Tags of one to three bytes (low five bits all set → more bytes follow while
  b8 is set); lengths short (< 0x80) or long (0x81–0x83); indefinite lengths
  are refused. A constructed tag (b6 of its first byte) holds TLVs.
* 0x00 and 0xFF between objects are padding (EMV allows it) and skipped.
* Anything else that does not add up raises ``TlvError`` with the offset —
  never an IndexError, never a partial object.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

MAX_DEPTH = 8


class TlvError(ValueError):
    """Bytes that are not BER-TLV; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Tlv:
    tag: int
    value: bytes
    children: tuple[Tlv, ...] = ()

    @property
    def constructed(self) -> bool:
        return bool(_first_byte(self.tag) & 0x20)


def _first_byte(tag: int) -> int:
    while tag > 0xFF:
        tag >>= 8
    return tag


def _tag(data: bytes, at: int) -> tuple[int, int]:
    if at >= len(data):
        raise TlvError(f"offset {at}: tag expected, data ended")
    tag, start = data[at], at
    at += 1
    if tag & 0x1F == 0x1F:
        while True:
            if at >= len(data):
                raise TlvError(f"offset {start}: tag runs past the end")
            tag = tag << 8 | data[at]
            at += 1
            if not data[at - 1] & 0x80:
                break
            if at - start >= 3:
                raise TlvError(f"offset {start}: tag longer than 3 bytes")
    return tag, at


def _length(data: bytes, at: int) -> tuple[int, int]:
    if at >= len(data):
        raise TlvError(f"offset {at}: length expected, data ended")
    first = data[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    if count == 0 or count > 3:
        raise TlvError(f"offset {at}: unsupported length form {first:#04x}")
    if at + 1 + count > len(data):
        raise TlvError(f"offset {at}: length runs past the end")
    return int.from_bytes(data[at + 1 : at + 1 + count], "big"), at + 1 + count


def parse(data: bytes, depth: int = 0) -> tuple[Tlv, ...]:
    if depth > MAX_DEPTH:
        raise TlvError("nested deeper than 8 levels")
    out, at = [], 0
    while at < len(data):
        if data[at] in (0x00, 0xFF):
            at += 1
            continue
        tag, at = _tag(data, at)
        length, at = _length(data, at)
        if at + length > len(data):
            raise TlvError(f"tag {tag:X}: {length} bytes announced, {len(data) - at} left")
        value = bytes(data[at : at + length])
        at += length
        children = parse(value, depth + 1) if _first_byte(tag) & 0x20 else ()
        out.append(Tlv(tag, value, children))
    return tuple(out)


def walk(tlvs: Sequence[Tlv]) -> Iterator[Tlv]:
    for tlv in tlvs:
        yield tlv
        yield from walk(tlv.children)


def find(tlvs: Sequence[Tlv], tag: int) -> Tlv | None:
    """The first object with ``tag``, depth first."""
    return next((t for t in walk(tlvs) if t.tag == tag), None)


def encode(tag: int, value: bytes) -> bytes:
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n <= 0xFF:
        length = bytes([0x81, n])
    elif n <= 0xFFFF:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    else:
        raise ValueError("value longer than 65535 bytes")
    return tag_bytes + length + value


def dol(data: bytes) -> tuple[tuple[int, int], ...]:
    """A data object list (PDOL, CDOL): (tag, length) pairs, no values."""
    out, at = [], 0
    while at < len(data):
        tag, at = _tag(data, at)
        length, at = _length(data, at)
        out.append((tag, length))
    return tuple(out)
