"""APDUs and their exchange over a transmit function, with the T=0 status
words pyscard leaves to the caller: 61xx (GET RESPONSE for the rest) and
6Cxx (send again with the right Le)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Transmit = Callable[[list[int]], tuple[list[int], int, int]]
OK = 0x9000
MAX_CHAINED = 32


class CardError(RuntimeError):
    """Something went wrong with a card; the message is fit for a log line."""


class NoReader(CardError):
    pass


class CardRemoved(CardError):
    pass


class MuteCard(CardError):
    pass


class StatusWordError(CardError):
    def __init__(self, command: str, sw: int) -> None:
        super().__init__(f"{command}: the card answered {sw:04X}")
        self.sw = sw


@dataclass(frozen=True, slots=True)
class Response:
    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw == OK


def command(
    cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None
) -> bytes:
    body = bytes([cla, ins, p1, p2])
    if data:
        body += bytes([len(data)]) + data
    if le is not None:
        body += bytes([le & 0xFF])
    return body


def select_by_name(name: bytes) -> bytes:
    return command(0x00, 0xA4, 0x04, 0x00, name, 0x00)


def select_file(fid: int) -> bytes:
    return command(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))


def read_binary(offset: int, length: int) -> bytes:
    return command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=length)


def update_binary(offset: int, data: bytes) -> bytes:
    return command(0x00, 0xD6, offset >> 8, offset & 0xFF, data)


def read_record(sfi: int, record: int) -> bytes:
    """READ RECORD; a short file id or record number a card named that no card
    can have (the fuzzer's find: it crashed the read) is the card's error."""
    if not (1 <= sfi <= 30 and 1 <= record <= 255):
        raise CardError(f"the card named record {record} of file {sfi}: no such record")
    return command(0x00, 0xB2, record, sfi << 3 | 4, le=0)


def exchange(transmit: Transmit, apdu: bytes) -> Response:
    """Send ``apdu``; follow 61xx and 6Cxx; return the whole answer."""
    data, sw1, sw2 = transmit(list(apdu))
    if sw1 == 0x6C:
        data, sw1, sw2 = transmit(list(apdu[:-1] + bytes([sw2])) if len(apdu) > 4 else list(apdu))
    collected = bytes(data)
    rounds = 0
    while sw1 == 0x61:
        rounds += 1
        if rounds > MAX_CHAINED:
            raise CardError("the card keeps asking for GET RESPONSE")
        data, sw1, sw2 = transmit([0x00, 0xC0, 0x00, 0x00, sw2])
        collected += bytes(data)
    return Response(collected, sw1 << 8 | sw2)
