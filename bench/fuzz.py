"""Run every fuzz target for a count of inputs: ``python bench/fuzz.py --count 1000000``.

The targets are the test suite's (``tests/fuzz/targets.py``): ID-003 and
ccTalk (the parser, then the driver's host state machine), ESC/POS status,
BER-TLV, an EMV read against a card whose answers are garbled, the server's
bill JSON, and signed config bundles. Inputs are mutations of real traffic
(10 % plain random bytes). Prints inputs per second and the failures, each
with the input that caused it (hex), and exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz.targets import mutate, targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000, help="inputs per target")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", help="one target by name")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    failed = 0
    print(f"{'target':<14} {'inputs':>10} {'seconds':>8} {'inputs/s':>10} {'failures':>9}")
    for target in targets():
        if args.only and target.name != args.only:
            continue
        failures: list[tuple[bytes, str]] = []
        started = time.perf_counter()
        for _ in range(args.count):
            data = mutate(rng, rng.choice(target.seeds))
            try:
                target.check(data)
            except Exception as exc:
                failures.append((data, f"{type(exc).__name__}: {exc}"[:160]))
        seconds = time.perf_counter() - started
        rate = args.count / seconds if seconds else float("inf")
        print(f"{target.name:<14} {args.count:>10,} {seconds:>8.1f} {rate:>10,.0f} "
              f"{len(failures):>9}", flush=True)  # fmt: skip
        for data, why in failures[:3]:
            print(f"    {why}\n    input: {data[:80].hex()}")
        failed += len(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
