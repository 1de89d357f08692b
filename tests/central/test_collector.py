"""The serving process's cycle collector: tuned once the app has started
(what starting loaded frozen, the thresholds raised), and left alone in an
app built for anything else. Each in a fresh interpreter: the collector's
settings are the whole process's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from central.collector import THRESHOLDS

STARTED = """
import gc, json, sys
import requests
from central.app import create_app
from central.serve import serving
app = create_app(sys.argv[1], tune_gc=sys.argv[2] == "1")
before = gc.get_threshold()
with serving(app) as base:
    assert requests.get(base + "/api/v1/health", timeout=10).status_code == 200
    print(json.dumps({"before": before, "after": gc.get_threshold(),
                      "frozen": gc.get_freeze_count()}))
"""


def started(tmp_path: Path, tune: bool) -> dict[str, list[int] | int]:
    done = subprocess.run(
        [sys.executable, "-c", STARTED, f"sqlite:///{tmp_path / 'c.db'}", "1" if tune else "0"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    found: dict[str, list[int] | int] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_the_serving_app_freezes_what_it_loaded_and_raises_the_thresholds(tmp_path: Path) -> None:
    found = started(tmp_path, tune=True)
    assert found["before"] == [700, 10, 10]  # Python's own
    assert found["after"] == list(THRESHOLDS)
    assert isinstance(found["frozen"], int)
    assert found["frozen"] > 50_000  # modules, tables, statements: never walked again


def test_an_app_built_for_tests_leaves_the_collector_alone(tmp_path: Path) -> None:
    found = started(tmp_path, tune=False)
    assert found["after"] == found["before"]
    assert found["frozen"] == 0
