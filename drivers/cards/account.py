"""The account IC card: the card a utility gives its customers.

The card application (ISO 7816-4):

* AID ``A0 00 00 06 66 4B 49 4F 53 4B`` ("KIOSK" under a private RID);
* EF ``0101`` identity: TLVs C1 account number, C2 service, C3 meter id (ASCII);
* EF ``0102`` last purchase: TLVs D1 sequence (4 bytes), D2 units (ASCII
  decimal), D3 amount in fen (4 bytes), D4 MAC — the first 8 bytes of
  HMAC-SHA256 over account, sequence, units and amount, with the utility's key
  (from config, never from code). A meter checks the MAC before loading.
  D5 (outside the MAC, which the meter checks as it always did) names the
  kiosk transaction that wrote the purchase: a kiosk that finds its own
  transaction there knows the purchase is on the card already.

A purchase counts as delivered to the card only after it was written, read
back, and the read-back matches byte for byte with a valid MAC.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from drivers.cards import tlv
from drivers.cards.apdu import (
    CardError,
    StatusWordError,
    Transmit,
    exchange,
    read_binary,
    select_by_name,
    select_file,
    update_binary,
)

AID = bytes.fromhex("A0000006664B494F534B")  # private RID + "KIOSK"
IDENTITY_EF = 0x0101
PURCHASE_EF = 0x0102
PURCHASE_SIZE = 64  # bytes reserved for the purchase record


@dataclass(frozen=True, slots=True)
class Identity:
    account: str
    service: str
    meter: str


@dataclass(frozen=True, slots=True)
class Purchase:
    sequence: int
    units: str
    amount_fen: int
    reference: bytes = b""  # the writing transaction (16 bytes), or none


class PurchaseNotVerified(CardError):
    """The purchase was not written, or the card gave back something else."""


def mac(key: bytes, account: str, purchase: Purchase) -> bytes:
    message = b"|".join(
        [
            account.encode("ascii"),
            purchase.sequence.to_bytes(4, "big"),
            purchase.units.encode("ascii"),
            purchase.amount_fen.to_bytes(4, "big"),
        ]
    )
    return hmac.new(key, message, hashlib.sha256).digest()[:8]


def encode_purchase(key: bytes, account: str, purchase: Purchase) -> bytes:
    body = (
        tlv.encode(0xD1, purchase.sequence.to_bytes(4, "big"))
        + tlv.encode(0xD2, purchase.units.encode("ascii"))
        + tlv.encode(0xD3, purchase.amount_fen.to_bytes(4, "big"))
    )
    record = body + tlv.encode(0xD4, mac(key, account, purchase))
    if purchase.reference:
        record += tlv.encode(0xD5, purchase.reference)
    if len(record) > PURCHASE_SIZE:
        raise ValueError("the purchase does not fit the card's record")
    return record + b"\x00" * (PURCHASE_SIZE - len(record))


def decode_purchase(key: bytes, account: str, data: bytes) -> Purchase | None:
    """The purchase on the card, or None if the record is empty; its MAC is checked."""
    items = {t.tag: t.value for t in tlv.parse(data)}
    if not items:
        return None
    try:
        purchase = Purchase(
            int.from_bytes(items[0xD1], "big"),
            items[0xD2].decode("ascii"),
            int.from_bytes(items[0xD3], "big"),
            items.get(0xD5, b""),
        )
    except (KeyError, UnicodeDecodeError) as exc:
        raise PurchaseNotVerified(f"purchase record incomplete: {exc}") from None
    if not hmac.compare_digest(items.get(0xD4, b""), mac(key, account, purchase)):
        raise PurchaseNotVerified("purchase record MAC does not match")
    return purchase


def _ok(transmit: Transmit, apdu: bytes, what: str) -> bytes:
    response = exchange(transmit, apdu)
    if not response.ok:
        raise StatusWordError(what, response.sw)
    return response.data


def select(transmit: Transmit) -> None:
    _ok(transmit, select_by_name(AID), "SELECT account application")


def read_identity(transmit: Transmit) -> Identity:
    select(transmit)
    _ok(transmit, select_file(IDENTITY_EF), "SELECT identity file")
    data = _ok(transmit, read_binary(0, 0), "READ identity")
    items = {t.tag: t.value for t in tlv.parse(data)}
    try:
        return Identity(*(items[tag].decode("ascii") for tag in (0xC1, 0xC2, 0xC3)))
    except (KeyError, UnicodeDecodeError):
        raise CardError("the identity file is not an account card's") from None


def read_purchase(transmit: Transmit, key: bytes, account: str) -> Purchase | None:
    select(transmit)
    _ok(transmit, select_file(PURCHASE_EF), "SELECT purchase file")
    data = _ok(transmit, read_binary(0, PURCHASE_SIZE), "READ purchase")
    return decode_purchase(key, account, data)


def write_purchase(transmit: Transmit, key: bytes, account: str, purchase: Purchase) -> None:
    """Write, read back, compare: raises unless the card holds exactly this purchase."""
    record = encode_purchase(key, account, purchase)
    select(transmit)
    _ok(transmit, select_file(PURCHASE_EF), "SELECT purchase file")
    try:
        _ok(transmit, update_binary(0, record), "WRITE purchase")
    except StatusWordError as exc:
        raise PurchaseNotVerified(f"the card refused the write ({exc.sw:04X})") from None
    back = _ok(transmit, read_binary(0, PURCHASE_SIZE), "READ purchase back")
    if back != record:
        raise PurchaseNotVerified("the purchase read back differs from what was written")
    if decode_purchase(key, account, back) != purchase:
        raise PurchaseNotVerified("the purchase read back does not verify")
