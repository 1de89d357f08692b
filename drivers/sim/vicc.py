"""Virtual smart cards for Debian's vsmartcard ``vpcd`` reader, so the kiosk's
pyscard code goes through the real pcscd.

vpcd listens on 35963 (slot 0) and 35964 (slot 1). A card "inserts" itself by
connecting; every message is a 2-byte big-endian length and a payload. A
1-byte payload is a control code (0x00 power off, 0x01 power on, 0x02 reset —
no reply — and 0x04 get ATR); anything else is a C-APDU, answered with the
R-APDU. Closing the socket pulls the card.

Cards: the account card, EMV cards (UnionPay debit, Visa) with test data, a
card with no known application, a mute card; any card can be told to pull
itself out after N commands (mid-read, mid-write).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date

from drivers.cards import staff, tlv
from drivers.cards.account import AID as ACCOUNT_AID
from drivers.cards.account import IDENTITY_EF, PURCHASE_EF, PURCHASE_SIZE

VPCD_PORT = 35963
OK = b"\x90\x00"
NOT_FOUND = b"\x6a\x82"
WRONG_INS = b"\x6d\x00"


class VirtualCard(ABC):
    atr: bytes = bytes.fromhex("3B8880010000000000000000")
    pull_after: int | None = None  # commands answered before the card is pulled out

    @abstractmethod
    def apdu(self, command: bytes) -> bytes: ...

    def reset(self) -> None:  # noqa: B027 - most cards keep no selection
        """Power on or reset: forget the selection."""


def _chunked(data: bytes, sw: bytes = OK, limit: int | None = None) -> tuple[bytes, bytes]:
    """Answer with 61xx when the data is longer than ``limit`` (T=0 style)."""
    if limit is not None and len(data) > limit:
        return data[:limit], bytes([0x61, min(255, len(data) - limit)])
    return data, sw


@dataclass
class AccountCard(VirtualCard):
    account: str = "1234567890"
    service: str = "electricity"
    meter: str = "M-0001"
    purchase: bytearray = field(default_factory=lambda: bytearray(PURCHASE_SIZE))
    fail_writes: bool = False  # the card refuses UPDATE BINARY (6581)
    garble_writes: bool = False  # the card stores something else
    selected: int | None = None
    app: bool = False

    def reset(self) -> None:
        self.selected, self.app = None, False

    def identity(self) -> bytes:
        return (
            tlv.encode(0xC1, self.account.encode())
            + tlv.encode(0xC2, self.service.encode())
            + tlv.encode(0xC3, self.meter.encode())
        )

    def apdu(self, command: bytes) -> bytes:  # noqa: PLR0911 - one answer per command
        ins, p1 = command[1], command[2]
        if ins == 0xA4 and p1 == 0x04:
            self.app = command[5 : 5 + command[4]] == ACCOUNT_AID
            return OK if self.app else NOT_FOUND
        if not self.app:
            return b"\x69\x85"  # conditions of use not satisfied
        if ins == 0xA4 and p1 == 0x02:
            fid = int.from_bytes(command[5:7], "big")
            self.selected = fid if fid in (IDENTITY_EF, PURCHASE_EF) else None
            return OK if self.selected else NOT_FOUND
        content = self.identity() if self.selected == IDENTITY_EF else bytes(self.purchase)
        if ins == 0xB0 and self.selected:
            le = command[4] if len(command) == 5 else 0
            if le != len(content):
                return bytes([0x6C, len(content)])  # wrong Le: here is the right one
            return content + OK
        if ins == 0xD6 and self.selected == PURCHASE_EF:
            if self.fail_writes:
                return b"\x65\x81"  # memory failure
            data = command[5 : 5 + command[4]]
            if self.garble_writes:
                data = bytes(b ^ 0x01 for b in data)
            self.purchase[: len(data)] = data
            return OK
        return WRONG_INS


@dataclass(frozen=True)
class EmvProfile:
    aid: bytes
    label: str
    pan: str
    expiry: str  # YYMMDD
    name: str = "TEST/CARDHOLDER"


UNIONPAY = EmvProfile(
    bytes.fromhex("A000000333010101"), "UnionPay Debit", "6222021234567840123", "281231"
)
VISA = EmvProfile(bytes.fromhex("A0000000031010"), "VISA DEBIT", "4761739001010119", "291130")


@dataclass
class EmvCard(VirtualCard):
    profile: EmvProfile = UNIONPAY
    ppse: bool = True  # answers the contactless-style directory
    pse: bool = True  # answers the contact directory
    chunk: int | None = 24  # longer answers come with 61xx, to be fetched
    _pending: bytes = b""

    def _fci(self) -> bytes:
        pdol = bytes.fromhex("9F02069F1A025F2A029A039C019F3704")
        a5 = tlv.encode(0x50, self.profile.label.encode()) + tlv.encode(0x9F38, pdol)
        return tlv.encode(0x6F, tlv.encode(0x84, self.profile.aid) + tlv.encode(0xA5, a5))

    def _record(self) -> bytes:
        pan = self.profile.pan + ("F" if len(self.profile.pan) % 2 else "")
        track2 = self.profile.pan + "D" + self.profile.expiry[:4] + "2201" + "0000000000"
        track2 += "F" if len(track2) % 2 else ""
        body = (
            tlv.encode(0x5A, bytes.fromhex(pan))
            + tlv.encode(0x5F24, bytes.fromhex(self.profile.expiry))
            + tlv.encode(0x57, bytes.fromhex(track2))
            + tlv.encode(0x5F20, self.profile.name.encode())
            + tlv.encode(0x5F34, b"\x01")
        )
        return tlv.encode(0x70, body)

    def _answer(self, data: bytes) -> bytes:
        out, sw = _chunked(data, OK, self.chunk)
        self._pending = data[len(out) :]
        return out + sw

    def apdu(self, command: bytes) -> bytes:  # noqa: PLR0911 - one answer per command
        ins, p1 = command[1], command[2]
        if ins == 0xC0:  # GET RESPONSE
            out, self._pending = self._pending, b""
            return self._answer(out) if out else b"\x6f\x00"
        if ins == 0xA4 and p1 == 0x04:
            name = command[5 : 5 + command[4]]
            entry = tlv.encode(
                0x61,
                tlv.encode(0x4F, self.profile.aid) + tlv.encode(0x50, self.profile.label.encode()),
            )
            if name == b"2PAY.SYS.DDF01" and self.ppse:
                return self._answer(tlv.encode(0x6F, tlv.encode(0xA5, tlv.encode(0xBF0C, entry))))
            if name == b"1PAY.SYS.DDF01" and self.pse:
                return self._answer(tlv.encode(0x6F, tlv.encode(0xA5, tlv.encode(0x88, b"\x01"))))
            if name == self.profile.aid:
                return self._answer(self._fci())
            return NOT_FOUND
        if ins == 0xA8:  # GPO: format 2, one record in SFI 2
            return self._answer(
                tlv.encode(
                    0x77, tlv.encode(0x82, b"\x19\x80") + tlv.encode(0x94, b"\x10\x01\x01\x00")
                )
            )
        if ins == 0xB2:
            sfi, record = command[3] >> 3, command[2]
            if sfi == 1 and record == 1 and self.pse:  # the PSE directory record
                entry = tlv.encode(0x61, tlv.encode(0x4F, self.profile.aid))
                return self._answer(tlv.encode(0x70, entry))
            if sfi == 2 and record == 1:
                return self._answer(self._record())
            return b"\x6a\x83"
        return WRONG_INS


@dataclass
class TechnicianCard(VirtualCard):
    """A staff card: holder file and a challenge answered with its key."""

    key: bytes = b""
    staff_id: str = "T-0001"
    role: str = "technician"
    valid_until: date = date(2099, 12, 31)
    app: bool = False
    selected: bool = False

    def reset(self) -> None:
        self.app = self.selected = False

    def apdu(self, command: bytes) -> bytes:
        ins, p1 = command[1], command[2]
        holder = staff.holder_file(self.staff_id, self.role, self.valid_until)
        if ins == 0xA4 and p1 == 0x04:
            self.app = command[5 : 5 + command[4]] == staff.AID
            return OK if self.app else NOT_FOUND
        if not self.app:
            return b"\x69\x85"
        if ins == 0xA4 and p1 == 0x02:
            self.selected = int.from_bytes(command[5:7], "big") == staff.HOLDER_EF
            return OK if self.selected else NOT_FOUND
        if ins == 0xB0 and self.selected:
            le = command[4] if len(command) == 5 else 0
            return bytes([0x6C, len(holder)]) if le != len(holder) else holder + OK
        if ins == 0x88:
            challenge = command[5 : 5 + command[4]]
            return staff.answer(self.key, challenge, holder) + OK
        return WRONG_INS


class UnknownCard(VirtualCard):
    """A card with no application the kiosk knows (a transport card, say)."""

    def apdu(self, command: bytes) -> bytes:
        return NOT_FOUND if command[1] == 0xA4 else WRONG_INS


class MuteCard(VirtualCard):
    """Answers its ATR, then no valid response to any command (a single byte, no
    status word: vpcd has no timeout, so a card that stayed silent would hang pcscd)."""

    def apdu(self, command: bytes) -> bytes:
        return b"\x00"


class VpcdSlot:
    """One vpcd slot: ``insert`` a card (connect), ``remove`` it (disconnect)."""

    def __init__(self, slot: int = 0, host: str = "127.0.0.1") -> None:
        self.port = VPCD_PORT + slot
        self.host = host
        self.card: VirtualCard | None = None
        self.commands = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def insert(self, card: VirtualCard, timeout: float = 5.0) -> None:
        self.remove()
        self.card, self.commands = card, 0
        self._stop.clear()
        self._sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self._sock.settimeout(None)
        self._thread = threading.Thread(target=self._serve, args=(self._sock,), daemon=True)
        self._thread.start()

    def remove(self) -> None:
        self._stop.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
            self._sock = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self.card = None

    def _serve(self, sock: socket.socket) -> None:
        card = self.card
        assert card is not None
        while not self._stop.is_set():
            try:
                message = _receive(sock)
            except OSError:
                return
            if message is None:
                return
            if len(message) == 1:
                if message[0] == 0x04:
                    _send(sock, card.atr)
                elif message[0] in (0x01, 0x02):
                    card.reset()
                continue
            if card.pull_after is not None and self.commands >= card.pull_after:
                sock.close()  # pulled out in the middle of the conversation
                return
            self.commands += 1
            _send(sock, card.apdu(message))


def _receive(sock: socket.socket) -> bytes | None:
    head = _exactly(sock, 2)
    if head is None:
        return None
    return _exactly(sock, struct.unpack(">H", head)[0])


def _exactly(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _send(sock: socket.socket, payload: bytes) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(struct.pack(">H", len(payload)) + payload)
