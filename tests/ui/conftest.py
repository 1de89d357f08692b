"""Fixtures of the UI journeys: the reference server on loopback (real SQLite
file, seeded) and an enrolled kiosk on the simulators that talks to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from central.serve import Central, running
from tests.kiosk.test_central_client import seed
from tests.ui.rig import start_kiosk
from ui.app import KioskUi


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Central]:
    with running(tmp_path / "central.db") as server:
        seed(server)
        yield server


@pytest.fixture
def kiosk(qtbot: QtBot, tmp_path: Path, central: Central) -> Iterator[KioskUi]:
    ui = start_kiosk(qtbot, tmp_path, central)
    yield ui
    ui.stop()
