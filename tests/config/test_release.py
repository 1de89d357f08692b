"""The signed release document: what a kiosk accepts and why it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from config import bundle, release
from config.release import ReleaseError, parse, refusal

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
PRIVATE, PUBLIC = bundle.new_key()
PACKAGE = {"file": "kiosk_0.21.0_amd64.deb", "sha256": "ab" * 32, "size": 12_345_678}


def _signed(**change: Any) -> dict[str, Any]:
    signed = release.signed_document(
        "0.21.0", PACKAGE, min_from="0.19.0", expires=NOW + timedelta(days=7),
        target={"percent": 10},
    )  # fmt: skip
    signed.update(change)
    return signed


def _raw(signed: dict[str, Any], key: str = PRIVATE) -> bytes:
    return bundle.canonical(bundle.sign(signed, key))


def test_a_signed_release_parses_and_targets_by_slot() -> None:
    found = parse(_raw(_signed()), PUBLIC)
    assert (found.version, found.size, found.min_from, found.rollback) == (
        "0.21.0", 12_345_678, "0.19.0", False,
    )  # fmt: skip
    inside = [k for k in (f"K-{n}" for n in range(400)) if found.applies_to(k, "default")]
    assert inside and all(bundle.fleet_slot(k) < 10 for k in inside)
    assert refusal(found, "0.20.0", NOW) is None


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"not json", "not a release"),
        (_raw(_signed(), bundle.new_key()[0]), "bad signature"),
        (_raw(_signed(kind="bundle")), "kind"),
        (_raw(_signed(version="0.21")), "version"),
        (_raw(_signed(version="0.21.0; rm -rf /")), "version"),
        (_raw(_signed(package={**PACKAGE, "file": "../../etc/passwd.deb"})), "package.file"),
        (_raw(_signed(package={**PACKAGE, "sha256": "AB" * 32})), "package.sha256"),
        (_raw(_signed(package={**PACKAGE, "size": 2**40})), "package.size"),
        (_raw(_signed(expires="2026-12-31T00:00:00")), "time zone"),
        (_raw(_signed(target={"percent": 0})), "target"),
        (_raw(_signed(rollback="yes")), "rollback"),
        (b"x" * (release.MAX_DOCUMENT + 1), "too large"),
    ],
)
def test_a_bad_release_is_refused_saying_why(raw: bytes, why: str) -> None:
    with pytest.raises(ReleaseError, match=why):
        parse(raw, PUBLIC)


def test_a_tampered_release_fails_its_signature() -> None:
    document = json.loads(_raw(_signed()))
    document["signed"]["package"]["sha256"] = "cd" * 32
    with pytest.raises(ReleaseError, match="bad signature"):
        parse(json.dumps(document).encode(), PUBLIC)


def test_what_a_kiosk_refuses_to_install() -> None:
    good = parse(_raw(_signed()), PUBLIC)
    assert "expired" in str(refusal(good, "0.20.0", NOW + timedelta(days=8)))
    assert "is installed" in str(refusal(good, "0.21.0", NOW))
    assert "older than" in str(refusal(good, "0.22.0", NOW))
    assert "upgrades from 0.19.0" in str(refusal(good, "0.18.9", NOW))
    assert "failed its health gate" in str(refusal(good, "0.20.0", NOW, {"0.21.0"}))
    assert refusal(good, "0.20.9", NOW, {"0.20.5"}) is None
    back = parse(_raw(_signed(rollback=True)), PUBLIC)
    assert refusal(back, "0.22.0", NOW) is None  # a downgrade the operator signed
    assert "newer than" in str(refusal(back, "0.20.0", NOW))


def test_versions_compare_as_numbers() -> None:
    assert release.version_key("0.10.0") > release.version_key("0.9.12")
    with pytest.raises(ReleaseError):
        release.version_key("01.2.3")
