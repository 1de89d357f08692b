"""``kiosk-central``: the reference central server."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-central", description=__doc__)
    parser.add_argument("command", nargs="?", default="serve", choices=["serve"])
    parser.parse_args(argv)
    sys.stderr.write("kiosk-central: not yet available (lands with the central-server issue)\n")
    return 3
