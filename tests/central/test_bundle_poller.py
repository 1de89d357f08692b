"""The kiosk's bundle poller against the real server: every bad bundle is
refused with the good one kept; a published one arrives by long-poll."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from central.bundles import publish
from central.serve import Central
from config import bundle
from config.bundle import Bundle
from config.loader import local_tree
from config.settings import Settings
from kiosk.money import Money
from kiosk.shell.heartbeat import HeartbeatService
from offline_queue.bundles import BundlePoller, BundleStore

PRIVATE, PUBLIC = bundle.new_key()
FEES = {"tariffs": {"parking": {"type": "parking", "free_minutes": 15, "period_minutes": 30,
                                "rate_fen": 300, "daily_cap_fen": 3000}}}  # fmt: skip


def signed(
    version: int,
    *,
    config: dict[str, Any] | None = None,
    key: str = PRIVATE,
    target: dict[str, Any] | None = None,
    expires_in: timedelta = timedelta(days=30),
) -> dict[str, Any]:
    return bundle.sign(
        {"version": version, "expires": (datetime.now(UTC) + expires_in).isoformat(),
         "target": target or {"group": "default"}, "config": config or FEES},
        key,
    )  # fmt: skip


class Kiosk:
    def __init__(self, central: Central, folder: Path, kiosk_id: str = "K-1") -> None:
        token = self.token = central.enroll(kiosk_id)
        self.accepted: list[tuple[Settings, Bundle]] = []
        self.store = BundleStore(folder, PUBLIC)
        self.poller = BundlePoller(
            central.url, token, self.store, public_key_hex=PUBLIC, kiosk_id=kiosk_id,
            group="default", local_tree=local_tree(), wait_s=10, timeout_s=5,
            on_accept=lambda s, b: self.accepted.append((s, b)),
        )  # fmt: skip


@pytest.fixture
def kiosk(central: Central, tmp_path: Path) -> Kiosk:
    return Kiosk(central, tmp_path / "kiosk")


def put(central: Central, document: dict[str, Any]) -> None:
    publish(central.app.state.engine, document)
    central.app.state.bundles.refresh()


def test_a_good_bundle_is_stored_and_handed_over(central: Central, kiosk: Kiosk) -> None:
    put(central, signed(1))
    assert kiosk.poller.poll_once() == "new"
    [(settings, got)] = kiosk.accepted
    assert settings.tariffs["parking"].rate_fen == 300  # type: ignore[union-attr]
    assert kiosk.store.load() == got and got.version == 1
    assert kiosk.poller.poll_once() == "unchanged"
    # a restarted kiosk starts from the bundle on disk
    again = Kiosk(central, kiosk.store.path.parent, "K-1")
    assert again.poller.version == 1


def unsigned(version: int) -> dict[str, Any]:
    return {"signed": signed(version)["signed"]}


def tampered(version: int) -> dict[str, Any]:
    """Signed, then the fee changed on the way: the signature no longer matches."""
    document = copy.deepcopy(signed(version))
    document["signed"]["config"]["tariffs"]["parking"]["rate_fen"] = 1
    return document


BAD: dict[str, Callable[[int], dict[str, Any]]] = {
    "unsigned": unsigned,
    "wrong key": lambda v: signed(v, key=bundle.new_key()[0]),
    "tampered": tampered,
    "expired": lambda v: signed(v, expires_in=timedelta(seconds=-1)),
    "oversized": lambda v: signed(v, config={"kiosk": {"location": "x" * bundle.MAX_BYTES}}),
    "schema-invalid": lambda v: signed(
        v, config={"tariffs": {"parking": {"type": "parking", "rate_fen": -1}}}
    ),
    "local keys": lambda v: signed(v, config={"paths": {"data_dir": "/"}}),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_every_bad_bundle_is_refused_and_the_good_one_kept(
    central: Central, kiosk: Kiosk, kind: str
) -> None:
    put(central, signed(1))
    assert kiosk.poller.poll_once() == "new"
    kept = kiosk.store.path.read_bytes()
    put(central, BAD[kind](2))
    outcome = kiosk.poller.poll_once()
    assert outcome.startswith("refused"), outcome
    assert kiosk.poller.version == 1 and kiosk.store.path.read_bytes() == kept
    assert len(kiosk.accepted) == 1


def test_a_rollback_is_refused(central: Central, kiosk: Kiosk) -> None:
    put(central, signed(3))
    assert kiosk.poller.poll_once() == "new"
    with central.app.state.engine.begin() as conn:  # a server restored from an old backup
        conn.exec_driver_sql("DELETE FROM bundles")
    put(central, signed(2))
    assert kiosk.poller.poll_once() == "refused: version 2 is not above 3 in use"
    assert kiosk.poller.version == 3


def test_a_bundle_for_another_kiosk_or_group_is_refused(kiosk: Kiosk) -> None:
    for target in ({"kiosks": ["K-2"]}, {"group": "north"}):
        with pytest.raises(bundle.BundleError, match="another kiosk or group"):
            kiosk.poller.check(bundle.canonical(signed(1, target=target)))


def test_a_server_answering_nonsense_changes_nothing(kiosk: Kiosk) -> None:
    document = signed(1)
    raw = bundle.canonical(document)
    assert kiosk.poller.check(raw)[0].version == 1
    with pytest.raises(bundle.BundleError, match="not a bundle"):
        kiosk.poller.check(b"<html>502 Bad Gateway</html>")
    with pytest.raises(bundle.BundleError, match="bad signature"):
        kiosk.poller.check(raw.replace(b"300", b"100"))


def test_a_published_bundle_arrives_by_long_poll_within_five_seconds(
    central: Central, kiosk: Kiosk
) -> None:
    kiosk.poller.start()
    try:
        time.sleep(0.5)  # the poller is waiting on the server now
        started = time.monotonic()
        put(central, signed(1))
        while not kiosk.accepted and time.monotonic() - started < 5:
            time.sleep(0.05)
        assert kiosk.accepted and time.monotonic() - started < 5
    finally:
        threading.Thread(target=kiosk.poller.stop, daemon=True).start()


def test_unreachable_server(tmp_path: Path) -> None:
    store = BundleStore(tmp_path, PUBLIC)
    poller = BundlePoller(
        "http://127.0.0.1:9", "t", store, public_key_hex=PUBLIC, kiosk_id="K",
        group="default", local_tree=local_tree(), on_accept=print, timeout_s=1,
    )  # fmt: skip
    assert poller.poll_once().startswith("unreachable")
    assert poller.version == 0 and not store.path.exists()


def test_a_bundle_that_cannot_be_stored_is_fetched_again_later(
    central: Central, tmp_path: Path
) -> None:
    blocked = tmp_path / "data"
    blocked.write_text("a file where the bundles folder should be")  # e.g. a broken disk
    kiosk = Kiosk(central, blocked / "bundles")
    put(central, signed(1))
    kiosk.poller.start()
    try:
        time.sleep(1.5)
        assert kiosk.accepted == [] and kiosk.poller.version == 0  # not stored: not used
        blocked.unlink()  # the technician fixes the disk
        deadline = time.monotonic() + 15
        while not kiosk.accepted and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        kiosk.poller.stop()
    assert kiosk.poller.version == 1 and kiosk.store.load() is not None


def test_a_heartbeat_answer_names_the_newest_bundle_and_the_kiosk_fetches_it(
    central: Central, kiosk: Kiosk
) -> None:
    """The long-poll is not running (lost): the heartbeat's answer brings the bundle."""
    heard: list[int] = []

    def on_bundle(version: int) -> None:
        heard.append(version)
        kiosk.poller.heard_of(version)

    service = HeartbeatService(central.url, kiosk.token, lambda _: None, dict, lambda: Money(0))
    service.on_bundle = on_bundle
    assert service.beat() and heard == [0]  # nothing published
    put(central, signed(4))
    assert service.beat() and heard == [0, 4]
    assert kiosk.poller.version == 4 and [b.version for _, b in kiosk.accepted] == [4]
    assert service.beat() and len(kiosk.accepted) == 1  # heard again: not fetched again
    service.stop()


def test_a_bundle_a_heartbeat_named_and_that_was_refused_is_not_fetched_at_every_beat(
    central: Central, kiosk: Kiosk
) -> None:
    put(central, signed(2, key=bundle.new_key()[0]))  # not the operator's key
    assert (kiosk.poller.heard_of(2) or "").startswith("refused")
    assert kiosk.poller.heard_of(2) is None
    assert kiosk.poller.version == 0 and kiosk.accepted == []


def test_the_same_bundle_brought_twice_is_accepted_once_and_not_called_refused(
    central: Central, kiosk: Kiosk
) -> None:
    """The long-poll and a heartbeat's fetch may bring the same bundle at once."""
    document = signed(3)
    put(central, document)
    assert kiosk.poller.poll_once() == "new"
    assert kiosk.poller._take(bundle.canonical(document)) == "unchanged"
    assert kiosk.poller.last_refusal is None and len(kiosk.accepted) == 1
