"""A software update's steps with the real kiosk package, timed.

The kiosk package (``make deb``'s, in ``dist/``) published on a real central
server (uvicorn, SQLite: the package into the database in 1 MiB chunks); a
kiosk enrolled with it asks for its release, downloads it over loopback
(once whole, once cut at half and gone on with), installs it beside a
stand-in running release (``dpkg-deb --extract``, bytecode compiled) and
switches the ``current`` link. The health gate's own time is the kiosk's
ready time (``bench/ui.py``, ``make appliance-test``) plus its window.

    python bench/update.py [--deb dist/kiosk_<version>_amd64.deb]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from central.cli import keygen
from central.cli import main as central
from central.serve import running
from config.release import parse
from drivers.sim.netproxy import Proxy
from launcher import releases
from offline_queue import http
from offline_queue.releases import DownloadError, download, offer

HERE = Path(__file__).resolve().parents[1]


def timed(what: str, started: float) -> float:
    took = time.monotonic() - started
    print(f"{what}: {took:.2f} s")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deb", type=Path)
    args = parser.parse_args()
    deb = args.deb or max((HERE / "dist").glob("kiosk_*_amd64.deb"), key=os.path.getmtime)
    print(f"{deb.name}: {deb.stat().st_size / 2**20:.1f} MiB")
    with tempfile.TemporaryDirectory(prefix="update-bench-") as folder:
        tmp = Path(folder)
        key = tmp / "operator.key"
        public = keygen(key)
        with running(tmp / "central.db") as server:
            url = f"sqlite:///{tmp / 'central.db'}"
            started = time.monotonic()
            assert central(["release", "publish", str(deb), "--percent", "100", "--key",
                            str(key), "--db", url]) == 0  # fmt: skip
            timed("publish (signed, checked, stored)", started)
            session = http.session(True, server.enroll("K-BENCH"))
            raw = offer(session, server.url, 10)
            assert raw is not None
            release = parse(raw, public)
            started = time.monotonic()
            whole = download(session, server.url, release, tmp / "whole", 120)
            took = timed("download, whole, sha256 checked", started)
            print(f"  {release.size / took / 2**20:.0f} MiB/s over loopback")
            proxy = Proxy(int(server.url.rsplit(":", 1)[1]))
            proxy.mode, proxy.limit = "cut_after", release.size // 2
            session.close()
            started = time.monotonic()
            try:
                download(session, proxy.url, release, tmp / "cut", 120)
            except DownloadError as exc:
                print(f"  cut: {exc}")
            session.close()
            proxy.restore()
            download(session, proxy.url, release, tmp / "cut", 120)
            timed("download cut at half, then gone on with", started)
            proxy.close()
            session.close()
        place = releases.Place(tmp / "opt", tmp / "state", tmp / "data")
        (place.releases / "0.0.1" / "bin").mkdir(parents=True)
        place.current.symlink_to("releases/0.0.1")
        started = time.monotonic()
        releases.stage(place, whole, release.version)
        timed("install beside (extract, compile bytecode, rename into place)", started)
        started = time.monotonic()
        releases.switch(place, release.version, datetime.now(UTC))
        timed("switch (gate written, link renamed)", started)
        print(f"current -> {os.readlink(place.current)}")


if __name__ == "__main__":
    main()
