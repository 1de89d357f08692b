"""Software releases on the real server: published signed with the package,
offered by target, downloaded resumably, reported on, shown as a rollout."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from central import releases
from central.cli import keygen, main
from central.serve import Central, running
from config import bundle, release
from tests.central.conftest import Api

SLOT_IN = next(f"K-{n}" for n in range(1000) if bundle.fleet_slot(f"K-{n}") < 10)
SLOT_OUT = next(f"K-{n}" for n in range(1000) if bundle.fleet_slot(f"K-{n}") >= 10)


def make_deb(folder: Path, version: str, payload: int = 3 * 1024 * 1024 + 17,
             name: str = "kiosk") -> Path:  # fmt: skip
    """A real (small) Debian package of the kiosk's name: random bytes inside,
    stored uncompressed, so it spans several 1 MiB chunks."""
    root = folder / f"{name}-{version}"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: {version}\nArchitecture: amd64\n"
        "Maintainer: Test <t@example.invalid>\nDescription: test package\n"
    )
    (root / "opt" / "kiosk" / "releases" / version).mkdir(parents=True)
    (root / "opt" / "kiosk" / "releases" / version / "blob").write_bytes(os.urandom(payload))
    deb = folder / f"{name}_{version}_amd64.deb"
    subprocess.run(["dpkg-deb", "-Znone", "--root-owner-group", "--build", str(root), str(deb)],
                   check=True, capture_output=True)  # fmt: skip
    return deb


@pytest.fixture
def key(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "operator.key"
    return path, keygen(path)


def _db(central: Central) -> str:
    return str(central.app.state.engine.url.render_as_string(hide_password=False))


def _publish(central: Central, deb: Path, key: Path, *target: str) -> int:
    return main(["release", "publish", str(deb), *target, "--key", str(key), "--db", _db(central)])


def test_a_release_reaches_the_kiosks_its_target_takes(
    tmp_path: Path, key: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    deb = make_deb(tmp_path, "0.21.0")
    with running(tmp_path / "c.db") as central:
        inside, outside = Api(central, SLOT_IN), Api(central, SLOT_OUT)
        assert inside.get("/release").status_code == 204  # nothing published yet
        assert _publish(central, deb, key[0], "--percent", "10", "--min-from", "0.19.0") == 0
        assert "published 0.21.0" in capsys.readouterr().out
        central.app.state.releases.forget()
        answer = inside.get("/release")
        assert answer.status_code == 200
        offered = release.parse(answer.content, key[1])
        assert (offered.version, offered.min_from, offered.target) == (
            "0.21.0", "0.19.0", {"percent": 10},
        )  # fmt: skip
        assert offered.sha256 == hashlib.sha256(deb.read_bytes()).hexdigest()
        assert outside.get("/release").status_code == 204
        assert requests.get(f"{central.url}/api/v1/release", timeout=5).status_code == 401


def test_the_package_downloads_whole_and_from_where_a_cut_left_it(
    tmp_path: Path, key: tuple[Path, str]
) -> None:
    deb = make_deb(tmp_path, "0.21.0")
    data = deb.read_bytes()
    with running(tmp_path / "c.db") as central:
        api = Api(central, SLOT_IN)
        assert _publish(central, deb, key[0], "--group", "default") == 0
        whole = api.get("/release/0.21.0/package")
        assert whole.status_code == 200 and whole.content == data
        assert whole.headers["Accept-Ranges"] == "bytes"
        cut = 1024 * 1024 + 5  # a connection cut a little past the first chunk
        rest = api.get("/release/0.21.0/package", headers={"Range": f"bytes={cut}-"})
        assert rest.status_code == 206 and rest.content == data[cut:]
        assert rest.headers["Content-Range"] == f"bytes {cut}-{len(data) - 1}/{len(data)}"
        middle = api.get("/release/0.21.0/package", headers={"Range": "bytes=10-19"})
        assert middle.content == data[10:20]
        for bad in (f"bytes={len(data)}-", "bytes=20-10", "lines=1-", "bytes=-5"):
            refused = api.get("/release/0.21.0/package", headers={"Range": bad})
            assert refused.status_code == 416, bad
            assert refused.headers["Content-Range"] == f"bytes */{len(data)}"
        assert api.get("/release/9.9.9/package").status_code == 404


def test_reports_make_the_rollout_view(
    tmp_path: Path, key: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with running(tmp_path / "c.db") as central:
        kiosks = [Api(central, f"K-{n}") for n in range(4)]
        assert _publish(central, make_deb(tmp_path, "0.21.0", 1000), key[0], "--group",
                        "default") == 0  # fmt: skip
        for api, state in zip(kiosks[:3], ("healthy", "healthy", "rolled_back"), strict=True):
            answer = api.post("/release/report", json={"version": "0.21.0", "state": "staged"})
            assert answer.status_code == 204
            api.post("/release/report", json={"version": "0.21.0", "state": state,
                                               "detail": "ready in 2.1 s"})  # fmt: skip
        unknown = kiosks[0].post("/release/report", json={"version": "0.9.0", "state": "healthy"})
        assert unknown.status_code == 404
        bad = kiosks[0].post("/release/report", json={"version": "0.21.0", "state": "<script>"})
        assert bad.status_code == 422
        [view] = releases.rollout(central.app.state.engine)
        assert (view.targeted, view.pending) == (4, 1)
        assert view.states == {"healthy": 2, "rolled_back": 1}
        capsys.readouterr()
        assert main(["release", "status", "--db", _db(central)]) == 0
        line = capsys.readouterr().out.splitlines()[1]
        assert line.split()[:5] == ["0.21.0", "group", "default", "4", "1"]
        assert "healthy 2" in line and "rolled_back 1" in line


def test_a_release_that_does_not_check_out_is_not_published(
    tmp_path: Path, key: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    deb = make_deb(tmp_path, "0.21.0", 5000)
    with running(tmp_path / "c.db") as central:
        engine = central.app.state.engine
        signed = release.signed_document(
            "0.21.0", {"file": deb.name, "sha256": "00" * 32, "size": deb.stat().st_size},
            min_from="0.0.0", expires=datetime.now(UTC) + timedelta(days=1), target={"percent": 5},
        )  # fmt: skip
        with pytest.raises(releases.ReleaseRefused, match="sha256"):
            releases.publish(engine, bundle.sign(signed, key[0].read_text().strip()), deb, key[1])
        assert releases.rollout(engine) == []  # nothing of it was kept
        other = bundle.new_key()[0]
        with pytest.raises(release.ReleaseError, match="bad signature"):
            releases.publish(engine, bundle.sign(signed, other), deb, key[1])
        assert _publish(central, deb, key[0], "--percent", "5") == 0
        assert _publish(central, deb, key[0], "--percent", "50") == 2
        assert "published already" in capsys.readouterr().err
        garbage = tmp_path / "kiosk_0.22.0_amd64.deb"
        garbage.write_bytes(b"!<arch>\nnot really")
        assert _publish(central, garbage, key[0], "--percent", "5") == 2
        assert "not a Debian package" in capsys.readouterr().err
        server = make_deb(tmp_path, "0.22.0", 100, name="kiosk-central")
        assert _publish(central, server, key[0], "--percent", "5") == 2
        assert "not the kiosk's package" in capsys.readouterr().err
        assert main(["release", "withdraw", "0.21.0", "--db", _db(central)]) == 0
        assert releases.rollout(engine) == []


def test_the_document_as_served_is_the_document_as_signed(
    tmp_path: Path, key: tuple[Path, str]
) -> None:
    with running(tmp_path / "c.db") as central:
        assert _publish(central, make_deb(tmp_path, "0.21.0", 100), key[0], "--kiosk",
                        SLOT_OUT) == 0  # fmt: skip
        served = Api(central, SLOT_OUT).get("/release").content
        assert json.loads(served)["signed"]["target"] == {"kiosks": [SLOT_OUT]}
        assert release.parse(served, key[1]).applies_to(SLOT_OUT, "any")
