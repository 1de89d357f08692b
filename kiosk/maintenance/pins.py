"""Maintenance PINs: scrypt hashes, one PIN per role, and the lockout.

* A PIN is 6 to 12 ASCII digits. It is stored only as
  ``scrypt$N$r$p$salt$hash`` (hex), N = 2^15: about 70 ms a try on the kiosk's
  CPU, so a stolen file costs an attacker real time per guess.
* The hashes come from the settings (``[maintenance]``, made with
  ``kiosk pin-hash``); a PIN the administrator changes in the menu is kept in
  ``<data_dir>/pins.json`` (mode 0600, written atomically) and wins.
* The lockout is computed from the journal, never from a counter that a
  restart resets: after ``max_failures`` wrong PINs in a row (since the last
  right one or the last lockout) a ``locked`` record is written and PIN entry
  is refused until its ``until``. Every try is journaled.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from kiosk.ledger import maintenance_records
from kiosk.maintenance.roles import Role
from offline_queue.files import write_atomically
from offline_queue.journal import Entry, Journal

PIN = re.compile(r"[0-9]{6,12}", re.ASCII)
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MAX_MEM = 64 * 2**20


class BadPin(ValueError):
    """Not a PIN at all (the keypad only makes digits; anything else is refused)."""


def hash_pin(pin: str, *, n: int = SCRYPT_N, salt: bytes | None = None) -> str:
    if not PIN.fullmatch(pin):
        raise BadPin("a PIN is 6 to 12 digits")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        pin.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32, maxmem=MAX_MEM
    )
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True if ``pin`` matches ``stored``; a malformed hash matches nothing."""
    if not PIN.fullmatch(pin):
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        got = hashlib.scrypt(
            pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
            dklen=len(expected), maxmem=MAX_MEM,
        )  # fmt: skip
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)


class PinStore:
    """The PIN hash of each role: the settings' unless changed on the kiosk."""

    def __init__(self, defaults: Mapping[Role, str], path: Path) -> None:
        self._defaults = dict(defaults)
        self._path = path

    def hashes(self) -> dict[Role, str]:
        hashes = dict(self._defaults)
        try:
            saved = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        if isinstance(saved, dict):
            for role in Role:
                value = saved.get(role.value)
                if isinstance(value, str):
                    hashes[role] = value
        return hashes

    def role_of(self, pin: str) -> Role | None:
        """The role whose PIN this is (each is checked, so the time says nothing)."""
        found = None
        for role, stored in self.hashes().items():
            if verify_pin(pin, stored) and found is None:
                found = role
        return found

    def set(self, role: Role, pin: str) -> None:
        """A new PIN for ``role``; it must differ from every other role's PIN."""
        new = hash_pin(pin)
        for other, stored in self.hashes().items():
            if other is not role and verify_pin(pin, stored):
                raise BadPin("another role already has this PIN")
        current = {r.value: h for r, h in self.hashes().items() if r is not role}
        current[role.value] = new
        write_atomically(self._path, json.dumps(current, sort_keys=True).encode(), mode=0o600)


@dataclass(frozen=True, slots=True)
class LockState:
    failures: int  # wrong PINs in a row so far
    locked_until: datetime | None  # set while PIN entry is refused

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


class _Audit(Protocol):
    @property
    def data(self) -> dict[str, Any]: ...


def audit_records(journal: Journal, max_failures: int) -> list[Entry]:
    """The newest maintenance records, enough to decide the lockout."""
    return maintenance_records(journal, max(50, 10 * max_failures))


def lock_state(journal: Journal, now: datetime, max_failures: int) -> LockState:
    """Wrong PINs since the last right one or the last lockout, from the journal."""
    return lock_from(audit_records(journal, max_failures), now)


def lock_from(records: Iterable[_Audit], now: datetime) -> LockState:
    """The same from maintenance records, newest first."""
    failures = 0
    for entry in records:
        action = entry.data.get("action")
        if action == "locked":
            until = datetime.fromisoformat(str(entry.data["until"]))
            return LockState(failures, until if now < until else None)
        if action == "pin_accepted":
            break
        if action == "pin_failed":
            failures += 1
    return LockState(failures, None)


def lock_until(now: datetime, minutes: int) -> datetime:
    return now + timedelta(minutes=minutes)
