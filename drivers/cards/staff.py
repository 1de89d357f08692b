"""The technician card: opens the maintenance menu without a PIN.

The card application (ISO 7816-4):

* AID ``A0 00 00 06 66 53 54 41 46 46`` ("STAFF" under the same private RID
  as the account card);
* EF ``0201`` holder: TLVs C4 staff id, C5 role (technician, collector,
  administrator), C6 valid until (YYYYMMDD), ASCII;
* INTERNAL AUTHENTICATE (``00 88 00 00``) with a fresh 16-byte challenge: the
  card answers the first 16 bytes of HMAC-SHA256(key, challenge ‖ holder file),
  with the operator's staff-card key (from config; the card never gives it
  out). A copy of the holder file alone opens nothing, and a replayed answer
  fails the next challenge.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date

from drivers.cards import tlv
from drivers.cards.apdu import (
    CardError,
    StatusWordError,
    Transmit,
    command,
    exchange,
    read_binary,
    select_by_name,
    select_file,
)

AID = bytes.fromhex("A0000006665354414646")  # private RID + "STAFF"
HOLDER_EF = 0x0201
CHALLENGE_SIZE = 16
ROLES = ("technician", "collector", "administrator")


@dataclass(frozen=True, slots=True)
class StaffCard:
    staff_id: str
    role: str
    valid_until: date


class NotAuthentic(CardError):
    """The card's answer to the challenge is wrong: not one of ours, or a copy."""


class Expired(CardError):
    pass


def answer(key: bytes, challenge: bytes, holder: bytes) -> bytes:
    return hmac.new(key, challenge + holder, hashlib.sha256).digest()[:16]


def holder_file(staff_id: str, role: str, valid_until: date) -> bytes:
    return (
        tlv.encode(0xC4, staff_id.encode("ascii"))
        + tlv.encode(0xC5, role.encode("ascii"))
        + tlv.encode(0xC6, valid_until.strftime("%Y%m%d").encode("ascii"))
    )


def _ok(transmit: Transmit, apdu: bytes, what: str) -> bytes:
    response = exchange(transmit, apdu)
    if not response.ok:
        raise StatusWordError(what, response.sw)
    return response.data


def read_staff_card(transmit: Transmit, key: bytes, today: date) -> StaffCard:
    """The holder of a genuine, valid technician card; raises otherwise."""
    if not key:
        raise NotAuthentic("no staff-card key is configured")
    _ok(transmit, select_by_name(AID), "SELECT staff application")
    _ok(transmit, select_file(HOLDER_EF), "SELECT holder file")
    holder = _ok(transmit, read_binary(0, 0), "READ holder")
    try:
        items = {t.tag: t.value for t in tlv.parse(holder)}
        staff_id, role, until = (items[tag].decode("ascii") for tag in (0xC4, 0xC5, 0xC6))
        valid_until = date(int(until[:4]), int(until[4:6]), int(until[6:8]))
    except (KeyError, UnicodeDecodeError, ValueError):  # TlvError is a ValueError
        raise CardError("the holder file is not a technician card's") from None
    if role not in ROLES:
        raise CardError(f"unknown role on the card: {role!r}")
    challenge = secrets.token_bytes(CHALLENGE_SIZE)
    got = _ok(transmit, command(0x00, 0x88, 0x00, 0x00, challenge, 0x00), "INTERNAL AUTHENTICATE")
    if not hmac.compare_digest(got, answer(key, challenge, holder)):
        raise NotAuthentic("the card's answer to the challenge is wrong")
    if today > valid_until:
        raise Expired(f"the card expired on {valid_until.isoformat()}")
    return StaffCard(staff_id, role, valid_until)
