"""Signed config bundles on the server: keygen and publish (the CLI), ETag and
If-None-Match, long-poll, and gray release by group, percent and kiosk."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from central.bundles import VersionTooLow, publish
from central.cli import keygen, main, make_bundle
from central.serve import Central
from config import bundle
from tests.central.conftest import Api

FEES = """
[tariffs.parking]
type = "parking"
free_minutes = 15
period_minutes = 30
rate_fen = 300
daily_cap_fen = 3000
"""


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "operator.key"
    keygen(path)
    return path


def publish_fees(
    central: Central, key: Path, tmp_path: Path, target: dict[str, Any], version: int
) -> None:
    source = tmp_path / "fees.toml"
    source.write_text(FEES)
    publish(central.app.state.engine, make_bundle(source, key, version, target, 30))


def test_keygen_writes_a_private_key_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "k" / "operator.key"
    assert main(["keygen", "--key", str(path)]) == 0
    public = capsys.readouterr().out.strip()
    assert bundle.public_key_of(path.read_text().strip()) == public
    assert path.stat().st_mode & 0o777 == 0o600
    assert main(["keygen", "--key", str(path)]) == 2  # never overwritten


def test_publish_cli_refuses_a_schema_invalid_file(
    tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    bad = tmp_path / "bad.toml"
    bad.write_text('[tariffs.parking]\ntype = "parking"\nrate_fen = -3\n')
    assert main(["publish", str(bad), "--group", "g", "--key", str(key), "--db", db]) == 2
    assert "tariffs.parking" in capsys.readouterr().err
    local = tmp_path / "local.toml"
    local.write_text('[paths]\ndata_dir = "/tmp"\n')
    assert main(["publish", str(local), "--group", "g", "--key", str(key), "--db", db]) == 2
    assert "may not set paths" in capsys.readouterr().err
    good = tmp_path / "good.toml"
    good.write_text(FEES)
    assert main(["publish", str(good), "--percent", "20", "--key", str(key), "--db", db]) == 0
    assert "version 1" in capsys.readouterr().out


def test_etag_and_if_none_match(central: Central, key: Path, tmp_path: Path) -> None:
    api = Api(central, "K-1")
    assert api.get("/config/bundle").status_code == 404
    publish_fees(central, key, tmp_path, {"group": "default"}, 1)
    central.app.state.bundles.refresh()
    first = api.get("/config/bundle")
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'
    parsed = bundle.parse(first.content, bundle.public_key_of(key.read_text().strip()))
    assert parsed.version == 1 and parsed.config["tariffs"]["parking"]["rate_fen"] == 300
    again = api.get("/config/bundle", headers={"If-None-Match": '"1"'})
    assert again.status_code == 304 and again.content == b""


def test_long_poll_returns_a_new_bundle_within_seconds(
    central: Central, key: Path, tmp_path: Path
) -> None:
    api = Api(central, "K-1")
    publish_fees(central, key, tmp_path, {"group": "default"}, 1)
    central.app.state.bundles.refresh()
    threading.Timer(1.0, publish_fees, (central, key, tmp_path, {"group": "default"}, 2)).start()
    started = time.monotonic()
    answer = api.get("/config/bundle", params={"wait": 20}, headers={"If-None-Match": '"1"'})
    waited = time.monotonic() - started
    assert answer.status_code == 200 and answer.headers["ETag"] == '"2"'
    assert 0.9 < waited < 5  # published at 1 s; the fleet is woken slot by slot


def test_long_poll_ends_with_304_when_nothing_changes(
    central: Central, key: Path, tmp_path: Path
) -> None:
    api = Api(central, "K-1")
    publish_fees(central, key, tmp_path, {"group": "default"}, 1)
    time.sleep(0.5)
    started = time.monotonic()
    answer = api.get("/config/bundle", params={"wait": 1}, headers={"If-None-Match": '"1"'})
    # held 80–100 % of wait= (jitter), so a fleet does not renew in step
    assert answer.status_code == 304 and 0.75 < time.monotonic() - started < 2


def test_gray_release_by_group_percent_and_kiosk(
    central: Central, key: Path, tmp_path: Path
) -> None:
    ids = [f"K-{n}" for n in range(40)]
    apis = {kiosk: Api(central, kiosk, "north" if kiosk == "K-3" else "default") for kiosk in ids}
    publish_fees(central, key, tmp_path, {"percent": 25}, 1)
    publish_fees(central, key, tmp_path, {"group": "north"}, 2)
    publish_fees(central, key, tmp_path, {"kiosks": ["K-7"]}, 3)
    central.app.state.bundles.refresh()
    got = {kiosk: api.get("/config/bundle").headers.get("ETag") for kiosk, api in apis.items()}
    assert got["K-3"] == '"2"' and got["K-7"] == '"3"'
    in_slice = {k for k in ids if bundle.fleet_slot(k) < 25} - {"K-3", "K-7"}
    assert {k for k, tag in got.items() if tag == '"1"'} == in_slice
    assert all(got[k] is None for k in set(ids) - in_slice - {"K-3", "K-7"})
    assert 0 < len(in_slice) < len(ids)


def test_a_version_at_or_below_the_published_one_is_refused(
    central: Central, key: Path, tmp_path: Path
) -> None:
    publish_fees(central, key, tmp_path, {"group": "default"}, 5)
    with pytest.raises(VersionTooLow):
        publish_fees(central, key, tmp_path, {"group": "default"}, 5)


def test_publish_refuses_what_a_kiosk_would_refuse(
    tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    renames = tmp_path / "renames.toml"
    renames.write_text('[kiosk]\nid = "K-OTHER"\n')
    assert main(["publish", str(renames), "--group", "g", "--key", str(key), "--db", db]) == 2
    assert "may not set kiosk.id" in capsys.readouterr().err
    fees = tmp_path / "fees.toml"
    fees.write_text(FEES)
    assert main(["publish", str(fees), "--percent", "101", "--key", str(key), "--db", db]) == 2
    assert "target: not a group, a percent 1–100" in capsys.readouterr().err


def test_a_long_poll_may_ask_up_to_fifteen_minutes_and_no_longer(
    central: Central, key: Path, tmp_path: Path
) -> None:
    api = Api(central, "K-1")
    publish_fees(central, key, tmp_path, {"group": "default"}, 1)
    central.app.state.bundles.refresh()
    held = api.get("/config/bundle", params={"wait": 900}, headers={"If-None-Match": '"0"'})
    assert held.status_code == 200 and held.headers["ETag"] == '"1"'  # newer: answered at once
    too_long = api.get("/config/bundle", params={"wait": 901})
    assert too_long.status_code == 422
