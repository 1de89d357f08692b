"""``make load``: the seed's load test, headless. A fresh PostgreSQL database
seeded with bills and ``--kiosks`` kiosks, the providers' simulators in a
process of their own, ``kiosk-central serve`` on that database, and locust
(bench/locustfile.py) running the kiosks' journeys against it for
``--minutes``; then p50/p95/p99 per call, payments per second and failures,
from locust's own figures.

    python bench/load.py [--kiosks 500] [--minutes 2] [--workers 1]
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from central.db import make_engine
from central.serve import free_port
from devtools.load_rig import database, seed, simulators, started

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=500)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--accounts", type=int, default=5000)
    args = parser.parse_args()
    tokens = [secrets.token_urlsafe(24) for _ in range(args.kiosks)]
    with database() as url, tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        engine = make_engine(url)
        seed(engine, args.accounts, tokens)
        engine.dispose()
        (work / "tokens.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
        port = free_port()
        cli = str(Path(sys.executable).with_name("kiosk-central"))
        with simulators(work / "sims", f"http://127.0.0.1:{port}") as settings, \
                open(work / "server.log", "ab") as log:  # fmt: skip
            command = [cli, "serve", "--db", url, "--port", str(port), "--settings",
                       str(settings), "--workers", str(args.workers)]  # fmt: skip
            with started(command, port, log):
                env = {"KIOSK_TOKENS": str(work / "tokens.txt"),
                       "KIOSK_ACCOUNTS": str(args.accounts)}  # fmt: skip
                locust = [str(Path(sys.executable).with_name("locust")), "-f",
                          str(HERE / "locustfile.py"), "--headless", "-u", str(args.kiosks),
                          "-r", str(max(1, args.kiosks // 10)), "-t", f"{int(args.minutes * 60)}s",
                          "--host", f"http://127.0.0.1:{port}", "--csv", str(work / "run"),
                          "--only-summary", "--stop-timeout", "5"]  # fmt: skip
                quiet = subprocess.DEVNULL
                done = subprocess.run(locust, env={**os.environ, **env}, check=False,
                                      stdout=quiet, stderr=quiet)  # fmt: skip
        return summary(work / "run_stats.csv", args, done.returncode)


def summary(path: Path, args: argparse.Namespace, code: int) -> int:
    """locust's figures per call, the payments per second, the failures."""
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    seconds = args.minutes * 60
    print(f"{args.kiosks} kiosks (locust users), {args.minutes:g} min, PostgreSQL, "
          f"{args.workers} worker(s):")  # fmt: skip
    print(f"  {'call':26s} {'n':>7s} {'fail':>5s} {'p50':>7s} {'p95':>7s} {'p99':>7s}  ms")
    failures = 0
    for row in rows:
        if row["Name"] == "Aggregated":
            continue
        failures += int(row["Failure Count"])
        print(f"  {row['Name']:26s} {int(row['Request Count']):7d} {int(row['Failure Count']):5d} "
              f"{row['50%']:>7s} {row['95%']:>7s} {row['99%']:>7s}")  # fmt: skip
    paid = sum(int(r["Request Count"]) for r in rows if r["Name"] == "payment")
    print(f"  payments: {paid} ({paid / seconds:.1f}/s); failures: {failures}; "
          "the long-poll's times are its holds, not the server's speed")  # fmt: skip
    return 1 if code not in (0, 1) else (1 if failures else 0)


if __name__ == "__main__":
    sys.exit(main())
