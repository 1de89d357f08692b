"""Reading an EMV contact bank card (UnionPay / PBOC, Visa, Mastercard).

Selection: PPSE (2PAY.SYS.DDF01), then PSE (1PAY.SYS.DDF01), then the known
AIDs one by one. Then SELECT AID, GET PROCESSING OPTIONS with the PDOL filled
from the terminal's data, READ RECORD over the AFL.

PCI: the full PAN and the track-2 equivalent live only in ``SensitiveData``,
whose repr and str are masked; the only way out is ``for_authorization()``,
which the kiosk puts straight into the authorization request. What may be
shown, printed or journaled is ``CardSummary``: BIN + last 4, expiry, label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from drivers.cards import tlv
from drivers.cards.apdu import (
    CardError,
    StatusWordError,
    Transmit,
    command,
    exchange,
    read_record,
    select_by_name,
)

MAX_PDOL = 252  # the PDOL data in tag 83 inside one short GET PROCESSING OPTIONS
PPSE = b"2PAY.SYS.DDF01"
PSE = b"1PAY.SYS.DDF01"
KNOWN_AIDS = (
    bytes.fromhex("A000000333010101"),  # UnionPay debit
    bytes.fromhex("A000000333010102"),  # UnionPay credit
    bytes.fromhex("A000000333010103"),  # UnionPay quasi-credit
    bytes.fromhex("A0000000031010"),  # Visa
    bytes.fromhex("A0000000041010"),  # Mastercard
)


class NoApplication(CardError):
    """No payment application this kiosk knows is on the card."""


@dataclass(frozen=True, slots=True)
class Terminal:
    """The kiosk's terminal data for the PDOL."""

    amount_fen: int
    currency: int = 156  # CNY
    country: int = 156  # China
    today: date = field(default_factory=date.today)
    unpredictable: bytes = b"\x00\x00\x00\x00"
    terminal_type: int = 0x25  # unattended, online only, merchant-operated

    def value(self, tag: int, length: int) -> bytes:
        known = {
            0x9F02: _bcd(self.amount_fen, 6),
            0x9F03: bytes(6),
            0x5F2A: _bcd(self.currency, 2),
            0x9F1A: _bcd(self.country, 2),
            0x9A: _bcd(int(self.today.strftime("%y%m%d")), 3),
            0x9C: b"\x00",  # purchase
            0x9F37: self.unpredictable,
            0x9F35: bytes([self.terminal_type]),
            0x95: bytes(5),
            0x9F66: bytes.fromhex("26000000"),
        }
        value = known.get(tag, b"")
        return (value + bytes(length))[:length] if len(value) != length else value


def _bcd(number: int, size: int) -> bytes:
    digits = f"{number:0{size * 2}d}"[-size * 2 :]
    return bytes.fromhex(digits)


def mask_pan(pan: str) -> str:
    """BIN (first 6) and the last 4; everything between masked."""
    return pan[:6] + "*" * max(0, len(pan) - 10) + pan[-4:]


class SensitiveData:
    """PAN and track 2: kept out of logs and reprs; handed out once, for authorization."""

    __slots__ = ("__pan", "__track2")

    def __init__(self, pan: str, track2: bytes) -> None:
        self.__pan = pan
        self.__track2 = track2

    def __repr__(self) -> str:
        return f"SensitiveData(pan={mask_pan(self.__pan)!r}, track2=<hidden>)"

    __str__ = __repr__

    def for_authorization(self) -> dict[str, str]:
        return {"pan": self.__pan, "track2": self.__track2.hex().upper()}


@dataclass(frozen=True, slots=True)
class CardSummary:
    aid: str
    label: str
    masked_pan: str
    expiry: str  # YYMM
    pan_sequence: str | None


@dataclass(frozen=True, slots=True)
class EmvCard:
    summary: CardSummary
    sensitive: SensitiveData
    icc_data: dict[str, str]  # AIP, AFL, ATC… as hex: what the authorization also carries


def _select_app(transmit: Transmit) -> tuple[bytes, tuple[tlv.Tlv, ...]]:
    for directory in (PPSE, PSE):
        response = exchange(transmit, select_by_name(directory))
        if not response.ok:
            continue
        fci = tlv.parse(response.data)
        aids = [t.value for t in tlv.walk(fci) if t.tag == 0x4F]
        if not aids and directory == PSE:
            sfi = tlv.find(fci, 0x88)
            aids = _pse_records(transmit, sfi.value[0]) if sfi and sfi.value else []
        for aid in aids:
            selected = exchange(transmit, select_by_name(aid))
            if selected.ok:
                return aid, tlv.parse(selected.data)
    for aid in KNOWN_AIDS:
        selected = exchange(transmit, select_by_name(aid))
        if selected.ok:
            return aid, tlv.parse(selected.data)
    raise NoApplication("no UnionPay, Visa or Mastercard application on this card")


def _pse_records(transmit: Transmit, sfi: int) -> list[bytes]:
    aids = []
    for record in range(1, 16):
        response = exchange(transmit, read_record(sfi, record))
        if not response.ok:
            break
        aids += [t.value for t in tlv.walk(tlv.parse(response.data)) if t.tag == 0x4F]
    return aids


def read(transmit: Transmit, terminal: Terminal) -> EmvCard:
    aid, fci = _select_app(transmit)
    label = tlv.find(fci, 0x50)
    pdol = tlv.find(fci, 0x9F38)
    pdol_data = b"".join(terminal.value(t, n) for t, n in tlv.dol(pdol.value)) if pdol else b""
    if len(pdol_data) > MAX_PDOL:  # found by fuzzing: no short APDU can carry it
        raise CardError(f"the card asks for {len(pdol_data)} bytes of terminal data")
    gpo = exchange(transmit, command(0x80, 0xA8, 0x00, 0x00, tlv.encode(0x83, pdol_data), 0x00))
    if not gpo.ok:
        raise StatusWordError("GET PROCESSING OPTIONS", gpo.sw)
    aip, afl = _aip_afl(tlv.parse(gpo.data))
    records: list[tlv.Tlv] = []
    for i in range(0, len(afl) - len(afl) % 4, 4):
        sfi, first, last = afl[i] >> 3, afl[i + 1], afl[i + 2]
        for number in range(first, last + 1):
            response = exchange(transmit, read_record(sfi, number))
            if not response.ok:
                raise StatusWordError(f"READ RECORD {sfi}/{number}", response.sw)
            records += tlv.parse(response.data)
    return _card(aid, label.value if label else b"", aip, afl, records)


def _aip_afl(gpo: tuple[tlv.Tlv, ...]) -> tuple[bytes, bytes]:
    format1 = tlv.find(gpo, 0x80)
    if format1 is not None and len(format1.value) >= 2:
        return format1.value[:2], format1.value[2:]
    aip, afl = tlv.find(gpo, 0x82), tlv.find(gpo, 0x94)
    if aip is None or afl is None:
        raise CardError("GET PROCESSING OPTIONS gave no AIP/AFL")
    return aip.value, afl.value


def _card(aid: bytes, label: bytes, aip: bytes, afl: bytes, records: list[tlv.Tlv]) -> EmvCard:
    pan_tlv, track2, expiry = (
        tlv.find(records, 0x5A),
        tlv.find(records, 0x57),
        tlv.find(records, 0x5F24),
    )
    if track2 is None:
        raise CardError("the card has no track-2 equivalent data")
    track = track2.value.hex().upper()
    pan = pan_tlv.value.hex().upper().rstrip("F") if pan_tlv else track.split("D")[0]
    if not pan.isdigit() or not 12 <= len(pan) <= 19:
        raise CardError("the card's PAN is not 12–19 digits")
    yymm = expiry.value.hex()[:4] if expiry else track.split("D")[1][:4]
    sequence = tlv.find(records, 0x5F34)
    summary = CardSummary(
        aid.hex().upper(),
        label.decode("ascii", "replace").strip(),
        mask_pan(pan),
        yymm,
        sequence.value.hex() if sequence else None,
    )
    icc = {"aid": aid.hex().upper(), "aip": aip.hex().upper(), "afl": afl.hex().upper()}
    return EmvCard(summary, SensitiveData(pan, track2.value), icc)
