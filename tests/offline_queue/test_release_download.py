"""A release's package downloaded from the real server: whole, cut half way
by the network and gone on with from the bytes already on disk, and refused
when it is not what was signed."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from central.cli import keygen, main
from central.serve import running
from config import release
from drivers.sim.netproxy import Proxy
from offline_queue import http
from offline_queue.releases import DownloadError, download, offer
from tests.central.test_releases import make_deb


def _published(tmp_path: Path, central_db: str) -> tuple[Path, str]:
    deb = make_deb(tmp_path, "0.21.0")
    key = tmp_path / "operator.key"
    public = keygen(key)
    assert main(["release", "publish", str(deb), "--group", "default", "--key", str(key),
                 "--db", central_db]) == 0  # fmt: skip
    return deb, public


def test_a_cut_download_goes_on_from_where_it_stopped(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with running(db) as central:
        deb, public = _published(tmp_path, f"sqlite:///{db}")
        token = central.enroll("K-1")
        proxy = Proxy(int(central.url.rsplit(":", 1)[1]))
        session = http.session(True, token)
        try:
            raw = offer(session, proxy.url, 5)
            assert raw is not None
            signed = release.parse(raw, public)
            folder = tmp_path / "downloads"
            session.close()  # each download on a new connection through the proxy
            proxy.mode, proxy.limit = "cut_after", 1_500_000  # headers and about 1.5 MB
            with pytest.raises(DownloadError, match="goes on next time"):
                download(session, proxy.url, signed, folder, 5)
            part = folder / f"{signed.file}.part"
            have = part.stat().st_size
            assert 1_000_000 < have < 1_500_000
            session.close()
            proxy.limit = 1_000_000  # a second cut, a megabyte further on
            with pytest.raises(DownloadError, match="goes on next time"):
                download(session, proxy.url, signed, folder, 5)
            assert part.stat().st_size > have + 500_000  # it went on, not from the start
            session.close()
            proxy.restore()
            got = download(session, proxy.url, signed, folder, 5)
            assert got.read_bytes() == deb.read_bytes() and not part.exists()
            assert download(session, proxy.url, signed, folder, 5) == got  # kept, not fetched
        finally:
            proxy.close()
            session.close()


def test_a_corrupt_part_a_lying_server_and_a_wrong_digest_are_caught(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with running(db) as central:
        deb, public = _published(tmp_path, f"sqlite:///{db}")
        session = http.session(True, central.enroll("K-1"))
        raw = offer(session, central.url, 5)
        assert raw is not None
        signed = release.parse(raw, public)
        folder = tmp_path / "d"
        folder.mkdir()
        part = folder / f"{signed.file}.part"
        part.write_bytes(b"\x00" * 1000)  # bytes on disk that are not the package's
        with pytest.raises(DownloadError, match="sha256"):
            download(session, central.url, signed, folder, 5)
        assert not part.exists()  # thrown away: the next try starts clean
        smaller = dataclasses.replace(signed, size=deb.stat().st_size - 100)
        with pytest.raises(DownloadError, match="more than the signed"):
            download(session, central.url, smaller, folder, 5)
        other = dataclasses.replace(signed, sha256=hashlib.sha256(b"x").hexdigest())
        with pytest.raises(DownloadError, match="sha256"):
            download(session, central.url, other, folder, 5)
        assert not (folder / signed.file).exists()
        assert offer(http.session(True, central.enroll("K-2", "other")), central.url, 5) is None
        session.close()
