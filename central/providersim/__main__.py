"""The payment providers' simulators in a process of their own, beside a
central server that is started after them (the load bench: the simulators'
signing does not count as the server's work).

    python -m central.providersim --folder DIR --server URL

Writes fresh test keys and the server's settings file into DIR, prints the
settings file's path once both simulators answer, and serves until stopped
(SIGTERM or SIGINT)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from central.providersim.run import beside


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m central.providersim", description=__doc__)
    parser.add_argument("--folder", type=Path, required=True, help="keys and settings go here")
    parser.add_argument("--server", required=True, help="the central server's URL (notifications)")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    with beside(args.folder, args.server) as settings:
        sys.stdout.write(f"{settings}\n")
        sys.stdout.flush()
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
