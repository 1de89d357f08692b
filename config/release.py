"""Signed software releases: what the central server offers a kiosk to install.

A release is a signed document in the bundles' form (``config/bundle.py``:
Ed25519 over the canonical JSON of ``signed``, the operator's key) whose
``signed`` holds:

* ``kind`` — ``"kiosk-release"`` (a bundle's signature cannot pass for one);
* ``version`` — the kiosk software's version, ``X.Y.Z``;
* ``package`` — ``{"file", "sha256", "size"}`` of the Debian package;
* ``min_from`` — the oldest version it may upgrade from;
* ``expires`` — ISO 8601 with a zone: an expired release is not installed;
* ``target`` — ``{"group"}``, ``{"percent"}`` or ``{"kiosks"}``, the bundles'
  slot arithmetic (a kiosk in the first 10 % stays in as the rollout widens);
* ``rollback`` — true only for a downgrade the operator signed as one.

``refusal`` says why a kiosk must not install one (None: it may).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from config.bundle import BundleError, check_target, signed_part, targets

KIND = "kiosk-release"
MAX_DOCUMENT = 16 * 1024
MAX_PACKAGE = 512 * 1024 * 1024  # the largest package a kiosk downloads
_VERSION = re.compile(r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+~-]{0,200}\.deb$")


class ReleaseError(ValueError):
    """A release document that must not be used; the message says why."""


def version_key(version: str) -> tuple[int, int, int]:
    """``"0.21.3"`` → ``(0, 21, 3)``; ReleaseError for anything else."""
    match = _VERSION.match(version)
    if match is None:
        raise ReleaseError(f"version: not X.Y.Z: {version!r}")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


@dataclass(frozen=True, slots=True)
class Release:
    version: str
    file: str
    sha256: str
    size: int
    min_from: str
    expires: datetime
    target: dict[str, Any]
    rollback: bool
    raw: bytes  # exactly as received: what is kept on disk beside the package

    def applies_to(self, kiosk_id: str, group: str) -> bool:
        return targets(self.target, kiosk_id, group)


def parse(raw: bytes, public_hex: str) -> Release:
    """Check size, shape and signature; whether this kiosk should install it is
    ``refusal``'s (it needs the clock and what is installed)."""
    signed = signed_part(raw, public_hex, limit=MAX_DOCUMENT, what="release", error=ReleaseError)
    if signed.get("kind") != KIND:
        raise ReleaseError(f"kind: not a kiosk release: {signed.get('kind')!r}")
    return _fields(signed, raw)


def _fields(signed: Mapping[str, Any], raw: bytes) -> Release:
    version, min_from = str(signed.get("version")), str(signed.get("min_from"))
    version_key(version)
    version_key(min_from)
    package = signed.get("package")
    if not isinstance(package, dict):
        raise ReleaseError("package: not an object")
    file, sha256, size = package.get("file"), package.get("sha256"), package.get("size")
    if not isinstance(file, str) or not _FILE.match(file):
        raise ReleaseError(f"package.file: not a package's file name: {file!r}")
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise ReleaseError("package.sha256: not 64 lower-case hex digits")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_PACKAGE:
        raise ReleaseError(f"package.size: not 1 to {MAX_PACKAGE} bytes: {size!r}")
    try:
        when = datetime.fromisoformat(str(signed.get("expires")))
    except ValueError:
        raise ReleaseError(f"expires: not an ISO time: {signed.get('expires')!r}") from None
    if when.tzinfo is None:
        raise ReleaseError("expires: needs a time zone")
    rollback = signed.get("rollback", False)
    if not isinstance(rollback, bool):
        raise ReleaseError("rollback: not true or false")
    try:
        target = check_target(signed.get("target"))
    except BundleError as exc:
        raise ReleaseError(str(exc)) from None
    return Release(version, file, sha256, size, min_from, when.astimezone(UTC), target,
                   rollback, raw)  # fmt: skip


def refusal(
    release: Release, installed: str, now: datetime, failed: Collection[str] = ()
) -> str | None:
    """Why this kiosk, on ``installed``, must not install ``release`` now; None
    when it may. ``failed``: the versions that failed their health gate here
    (not tried again until a newer one comes)."""
    new, current = version_key(release.version), version_key(installed)
    reasons = [
        (now >= release.expires, f"expired at {release.expires.isoformat()}"),
        (new == current, f"{release.version} is installed"),
        (new < current and not release.rollback,
         f"{release.version} is older than {installed}, and not signed as a rollback"),
        (new > current and release.rollback,
         f"{release.version} is signed as a rollback but is newer than {installed}"),
        (current < version_key(release.min_from) and not release.rollback,
         f"it upgrades from {release.min_from} or newer; this kiosk runs {installed}"),
        (release.version in failed, f"{release.version} failed its health gate on this kiosk"),
    ]  # fmt: skip
    return next((why for refused, why in reasons if refused), None)


def signed_document(
    version: str, package: Mapping[str, Any], *, min_from: str, expires: datetime,
    target: Mapping[str, Any], rollback: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """The ``signed`` part of a release, checked as a kiosk would check it."""
    signed = {
        "kind": KIND, "version": version, "package": dict(package), "min_from": min_from,
        "expires": expires.astimezone(UTC).isoformat(), "target": dict(target),
        "rollback": rollback,
    }  # fmt: skip
    _fields(signed, b"")
    return signed
