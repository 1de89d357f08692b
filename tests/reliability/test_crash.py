"""The crash harness's fixed-seed sample: 30 kill -9s of the kiosk at the
harness's points (a prepaid card write among them: real pcscd and vpcd), then
the three ledgers compared (``harness.py``)."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.harness import CrashRig

SEED = 20261124
KILLS = 30


def test_thirty_kills_lose_and_double_nothing(tmp_path: Path, pcscd: str) -> None:
    with CrashRig(tmp_path, SEED, reader=pcscd).running() as rig:
        ledgers = rig.campaign(KILLS)
    print(ledgers.summary())
    assert ledgers.problems() == []
    assert sum(ledgers.kills.values()) == KILLS
    assert set(ledgers.kills) == set(rig.points)  # the sample reaches every kind of point
    assert sum(ledgers.late.values()) <= KILLS // 10  # the points are reached, not timed out
    assert len(ledgers.stacked) >= 20 and ledgers.payments >= 5  # money really moved
