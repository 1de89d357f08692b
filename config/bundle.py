"""Signed config bundles: fee tables, the service catalogue and kiosk settings.

A bundle is JSON: ``{"signed": {...}, "signature": "<hex>"}``. The signature is
Ed25519 over the canonical JSON of ``signed`` (sorted keys, no spaces, UTF-8),
after TUF. ``signed`` holds:

* ``version`` — an integer that only grows; a kiosk refuses one that is not
  newer than what it has (no rollback, no replay);
* ``expires`` — an ISO 8601 UTC time; an expired bundle is refused (no freeze);
* ``target`` — who it is for: ``{"group": G}``, ``{"percent": P}`` (the kiosks
  whose fleet slot is below P: a gray release) or ``{"kiosks": [ids]}``;
* ``config`` — the settings it carries (only the keys in ``BUNDLE_KEYS``).

The operator signs with a private key kept off the kiosk; the kiosk pins the
public key in its settings. Both sides use this module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MAX_BYTES = 256 * 1024
# What a bundle may set; everything else (paths, devices, keys) stays local.
BUNDLE_KEYS = frozenset({"kiosk", "timeouts", "cash", "offline", "services", "tariffs"})
LOCAL_KIOSK_KEYS = frozenset({"id"})


class BundleError(ValueError):
    """A bundle that must not be used; the message says why."""


def canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fleet_slot(kiosk_id: str) -> int:
    """0–99, stable per kiosk: who is in a ``percent`` gray release."""
    return int.from_bytes(hashlib.sha256(kiosk_id.encode()).digest()[:4], "big") % 100


def new_key() -> tuple[str, str]:
    """A fresh Ed25519 key pair as hex: (private, public)."""
    key = Ed25519PrivateKey.generate()
    return key.private_bytes_raw().hex(), key.public_key().public_bytes_raw().hex()


def public_key_of(private_hex: str) -> str:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex))
    return key.public_key().public_bytes_raw().hex()


def sign(signed: Mapping[str, Any], private_hex: str) -> dict[str, Any]:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex))
    return {"signed": dict(signed), "signature": key.sign(canonical(signed)).hex()}


@dataclass(frozen=True, slots=True)
class Bundle:
    version: int
    expires: datetime
    target: dict[str, Any]
    config: dict[str, Any]
    raw: bytes  # exactly as received: what is kept on disk

    def applies_to(self, kiosk_id: str, group: str) -> bool:
        return targets(self.target, kiosk_id, group)


def targets(target: Mapping[str, Any], kiosk_id: str, group: str) -> bool:
    if "kiosks" in target:
        return kiosk_id in target["kiosks"]
    if "group" in target:
        return bool(target["group"] == group)
    if "percent" in target:
        return fleet_slot(kiosk_id) < int(target["percent"])
    return False


def check_target(target: object) -> dict[str, Any]:
    if not isinstance(target, dict) or len(target) != 1:
        raise BundleError("target: one of group, percent or kiosks")
    match target:
        case {"group": str()}:
            pass
        case {"percent": int(p)} if 0 < p <= 100 and not isinstance(p, bool):
            pass
        case {"kiosks": list(ids)} if ids and all(isinstance(i, str) for i in ids):
            pass
        case _:
            raise BundleError(f"target: not a group, a percent 1–100 or a list of kiosks: {target}")
    return target


def signed_part(
    raw: bytes, public_hex: str, *, limit: int, what: str, error: type[ValueError]
) -> dict[str, Any]:
    """The ``signed`` object of a signed document (a bundle, a release), its
    size and Ed25519 signature checked; ``error`` says what is wrong."""
    if len(raw) > limit:
        raise error(f"too large: {len(raw)} bytes (limit {limit})")
    try:
        document = json.loads(raw)
        signed, signature = document["signed"], bytes.fromhex(document["signature"])
    except (ValueError, KeyError, TypeError) as exc:
        raise error(f"not a {what}: {type(exc).__name__}: {exc}") from None
    if not isinstance(signed, dict):
        raise error(f"not a {what}: 'signed' is not an object")
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        key.verify(signature, canonical(signed))
    except (InvalidSignature, ValueError):
        raise error("bad signature: not signed by the operator's key") from None
    return signed


def parse(raw: bytes, public_hex: str) -> Bundle:
    """Check size, shape and signature; expiry, version and target are the
    caller's (they need the clock and the kiosk's state)."""
    signed = signed_part(raw, public_hex, limit=MAX_BYTES, what="bundle", error=BundleError)
    version, expires, config = signed.get("version"), signed.get("expires"), signed.get("config")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BundleError(f"version: not a positive integer: {version!r}")
    try:
        when = datetime.fromisoformat(str(expires))
    except ValueError:
        raise BundleError(f"expires: not an ISO time: {expires!r}") from None
    if when.tzinfo is None:
        raise BundleError("expires: needs a time zone")
    if not isinstance(config, dict):
        raise BundleError("config: not an object")
    extra = set(config) - BUNDLE_KEYS
    if extra:
        raise BundleError(f"config: a bundle may not set {', '.join(sorted(extra))}")
    if isinstance(config.get("kiosk"), dict) and LOCAL_KIOSK_KEYS & set(config["kiosk"]):
        raise BundleError("config: a bundle may not set kiosk.id")
    return Bundle(version, when.astimezone(UTC), check_target(signed.get("target")), config, raw)
