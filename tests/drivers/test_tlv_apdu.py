"""BER-TLV and the APDU exchange, sans-I/O, with fuzzing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.cards import emv, tlv
from drivers.cards.apdu import CardError, Response, exchange
from drivers.sim.vicc import EmvCard

FCI = bytes.fromhex("6F1A840E325041592E5359532E4444463031A508BF0C05610350016100")


def test_parse_nested_fci() -> None:
    [fci] = tlv.parse(FCI)
    assert fci.tag == 0x6F and fci.constructed
    assert tlv.find([fci], 0x84) is not None
    assert tlv.find([fci], 0x84).value == b"2PAY.SYS.DDF01"  # type: ignore[union-attr]
    assert tlv.find([fci], 0xBF0C) is not None  # a two-byte tag
    assert tlv.find([fci], 0x50).value == b"a"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "tag", "length"),
    [
        (bytes([0x5A, 0x81, 0x02, 1, 2]), 0x5A, 2),  # long form, one byte
        (bytes([0x5A, 0x82, 0x00, 0x02, 1, 2]), 0x5A, 2),  # long form, two bytes
        (bytes([0x00, 0x00, 0x9F, 0x02, 0x01, 9, 0xFF]), 0x9F02, 1),  # padding around
        (bytes([0xDF, 0x81, 0x01, 0x00]), 0xDF8101, 0),  # three-byte tag
    ],
)
def test_lengths_tags_and_padding(data: bytes, tag: int, length: int) -> None:
    [item] = tlv.parse(data)
    assert (item.tag, len(item.value)) == (tag, length)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes([0x5A, 0x05, 1, 2]), "5 bytes announced, 2 left"),
        (bytes([0x5A]), "length expected"),
        (bytes([0x9F]), "tag runs past the end"),
        (bytes([0x5A, 0x80]), "unsupported length form"),
        (bytes([0x5A, 0x84, 0, 0, 0, 1, 0]), "unsupported length form"),
        (bytes([0xDF, 0x81, 0x81, 0x01, 0x00]), "longer than 3 bytes"),
        (bytes([0x5A, 0x82, 0x01]), "length runs past the end"),
    ],
)
def test_malformed_tlv_is_a_clear_error(data: bytes, reason: str) -> None:
    with pytest.raises(tlv.TlvError, match=reason):
        tlv.parse(data)


def test_too_deep() -> None:
    data = b"\x01"
    for _ in range(12):
        data = tlv.encode(0x70, data)
    with pytest.raises(tlv.TlvError, match="deeper"):
        tlv.parse(data)


def test_encode_round_trip_and_dol() -> None:
    for size in (0, 1, 127, 128, 255, 256, 1000):
        [item] = tlv.parse(tlv.encode(0x9F38, bytes(size)))
        assert (item.tag, len(item.value)) == (0x9F38, size)
    assert tlv.dol(bytes.fromhex("9F02069F1A025F2A029A039C019F3704")) == (
        (0x9F02, 6), (0x9F1A, 2), (0x5F2A, 2), (0x9A, 3), (0x9C, 1), (0x9F37, 4),
    )  # fmt: skip


@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data: bytes) -> None:
    try:
        items = tlv.parse(data)
    except tlv.TlvError:
        return
    for item in tlv.walk(items):
        assert isinstance(item.value, bytes)


@given(st.integers(0, 2**16), st.integers(1, 255))
def test_fuzz_mutated_fci(position: int, flip: int) -> None:
    data = bytearray(FCI)
    data[position % len(data)] ^= flip
    try:
        items = tlv.parse(bytes(data))
    except tlv.TlvError:
        return  # a clear error is the only other outcome
    assert all(isinstance(item.value, bytes) for item in tlv.walk(items))


class Card:
    """A transmit function that answers from a script."""

    def __init__(self, answers: list[tuple[bytes, int, int]]) -> None:
        self.answers = answers
        self.sent: list[bytes] = []

    def __call__(self, apdu: list[int]) -> tuple[list[int], int, int]:
        self.sent.append(bytes(apdu))
        data, sw1, sw2 = self.answers.pop(0)
        return list(data), sw1, sw2


def test_61xx_is_followed_with_get_response() -> None:
    card = Card([(b"\x01\x02", 0x61, 0x03), (b"\x03\x04\x05", 0x90, 0x00)])
    assert exchange(card, bytes.fromhex("00B2010C00")) == Response(b"\x01\x02\x03\x04\x05", 0x9000)
    assert card.sent[1] == bytes.fromhex("00C0000003")


def test_6cxx_is_sent_again_with_the_right_le() -> None:
    card = Card([(b"", 0x6C, 0x10), (bytes(16), 0x90, 0x00)])
    assert exchange(card, bytes.fromhex("00B0000000")).data == bytes(16)
    assert card.sent[1] == bytes.fromhex("00B0000010")


def test_endless_61xx_is_refused() -> None:
    card = Card([(b"", 0x61, 0x01)] * 40)
    with pytest.raises(CardError, match="keeps asking"):
        exchange(card, bytes.fromhex("00B2010C00"))


@dataclass
class _OddCard(EmvCard):
    """A card whose answers are well formed TLV but say impossible things."""

    empty_sfi: bool = False
    pdol_asks: int = 0

    def apdu(self, command: bytes) -> bytes:
        name = command[5 : 5 + command[4]] if command[1] == 0xA4 and len(command) > 5 else b""
        if self.empty_sfi and name == b"1PAY.SYS.DDF01":
            return tlv.encode(0x6F, tlv.encode(0xA5, tlv.encode(0x88, b""))) + b"\x90\x00"
        if self.pdol_asks and name == self.profile.aid:
            pdol = b"".join(b"\x9f\x02" + bytes([100]) for _ in range(self.pdol_asks // 100))
            a5 = tlv.encode(0xA5, tlv.encode(0x9F38, pdol))
            return tlv.encode(0x6F, tlv.encode(0x84, self.profile.aid) + a5) + b"\x90\x00"
        return super().apdu(command)


def _transmit(card: EmvCard) -> Callable[[list[int]], tuple[list[int], int, int]]:
    def transmit(apdu: list[int]) -> tuple[list[int], int, int]:
        answer = card.apdu(bytes(apdu))
        return list(answer[:-2]), answer[-2], answer[-1]

    return transmit


def test_a_pse_naming_an_empty_file_is_no_application_not_a_crash() -> None:
    card = _OddCard(ppse=False, empty_sfi=True)  # found by fuzzing: IndexError
    read = emv.read(_transmit(card), emv.Terminal(amount_fen=100))  # falls back to known AIDs
    assert read.summary.masked_pan.endswith("0123")


def test_a_pdol_asking_for_more_than_an_apdu_holds_is_a_card_error() -> None:
    card = _OddCard(pdol_asks=300)  # found by fuzzing: ValueError from bytes()
    with pytest.raises(CardError, match="300 bytes of terminal data"):
        emv.read(_transmit(card), emv.Terminal(amount_fen=100))
