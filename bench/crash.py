"""The crash campaign: ``python bench/crash.py --runs 1000``.

Kills the kiosk (kill -9) ``--runs`` times at the crash harness's points
(``tests/reliability/harness.py``), in rigs of ``--per-rig`` kills each (a
fresh journal, simulator and server per rig), and prints each rig's ledgers
and the totals: kills by point, notes stacked by the simulator, credits in the
journal, cash at the central server, card purchases, and every discrepancy.
With pcscd and vpcd installed, some customers pay with their account card and
the card write is a kill point too. A failing rig's folder is kept.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.sim.pcscd import SECOND_READER, Pcscd, missing_parts
from tests.reliability.harness import CrashRig
from tests.reliability.ledgers import Ledgers


@dataclass
class Totals:
    rigs: int = 0
    kills: Counter[str] = field(default_factory=Counter)
    late: Counter[str] = field(default_factory=Counter)
    stacked: int = 0
    credited: int = 0
    central: int = 0
    sessions: int = 0
    payments: int = 0
    loaded: int = 0
    left: int = 0
    reissued: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, ledgers: Ledgers) -> None:
        self.rigs += 1
        self.kills += ledgers.kills
        self.late += ledgers.late
        self.stacked += sum(ledgers.stacked)
        self.credited += sum(ledgers.credited)
        self.central += ledgers.central_cash
        self.sessions += ledgers.sessions
        self.payments += ledgers.payments
        self.loaded += ledgers.card_loaded
        self.left += ledgers.card_load_failed
        self.reissued += ledgers.card_reissued

    def report(self, minutes: float) -> None:
        print(f"\n{sum(self.kills.values())} kills in {self.rigs} rigs, {minutes:.1f} min")
        print(f"  by point: {dict(sorted(self.kills.items()))}")
        print(f"  points not reached in time (killed there and then): {dict(self.late)}")
        print(f"  sessions {self.sessions}, payments {self.payments}; card purchases "
              f"{self.loaded} loaded, {self.left} left to the server "
              f"({self.reissued} of them written at a later visit)")  # fmt: skip
        stacked, credited, central = (f"¥{v / 100:.2f}" for v in
                                      (self.stacked, self.credited, self.central))  # fmt: skip
        print(f"  stacked by the simulator {stacked}, credited in the journal {credited}, "
              f"cash at the central server {central}")  # fmt: skip
        print(f"  discrepancies: {len(self.problems)}")


def run_rig(seed: int, kills: int, reader: str | None) -> tuple[Ledgers, list[str]]:
    folder = Path(tempfile.mkdtemp(prefix=f"crash-{seed}-"))
    with CrashRig(folder, seed, reader).running() as rig:
        try:
            ledgers = rig.campaign(kills)
            found = ledgers.problems()
        except TimeoutError as exc:  # a rig that cannot settle is a finding too
            ledgers, found = rig.ledgers, [str(exc)]
    if found:
        print(f"  kept for a look: {folder} (journal, central.db, kiosk.log)", flush=True)
    else:
        shutil.rmtree(folder)
    return ledgers, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100, help="kills in all")
    parser.add_argument("--per-rig", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    missing = missing_parts()
    pcscd = None if missing else Pcscd()
    if pcscd is not None:
        pcscd.ensure()
    else:
        print(f"no card reader ({', '.join(missing)} missing): no card sessions", flush=True)
    totals, started, left = Totals(), time.monotonic(), args.runs
    try:
        while left > 0:
            count, seed = min(left, args.per_rig), args.seed * 1000 + totals.rigs
            # vpcd's second slot: the test suite's cards go in the first
            ledgers, found = run_rig(seed, count, SECOND_READER if pcscd else None)
            print(f"rig {totals.rigs} (seed {seed}): {ledgers.summary()}", flush=True)
            for problem in found:
                print(f"  PROBLEM: {problem}", flush=True)
            totals.problems += [f"seed {seed}: {p}" for p in found]
            totals.add(ledgers)
            left -= count
    finally:
        if pcscd is not None:
            pcscd.stop()
    totals.report((time.monotonic() - started) / 60)
    return 1 if totals.problems else 0


if __name__ == "__main__":
    sys.exit(main())
