"""``kiosk-sim``: run a device simulator standalone."""

from __future__ import annotations

import argparse
import sys

SIMULATORS = {
    "acceptor": "bill acceptor (ID-003, ccTalk) on a pseudo-terminal",
    "printer": "ESC/POS receipt printer on TCP or a pseudo-terminal",
    "card": "smart cards through pcscd and the vpcd reader",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-sim", description=__doc__)
    parser.add_argument("device", choices=sorted(SIMULATORS))
    args = parser.parse_args(argv)
    sys.stderr.write(
        f"kiosk-sim {args.device}: not yet available "
        f"(the {SIMULATORS[args.device]} simulator lands with its driver issue)\n"
    )
    return 3
