"""The figures a driver keeps for the bench stay bounded for as long as it runs."""

import pytest

from drivers.figures import Samples
from drivers.id003.driver import Id003Driver
from drivers.sim.id003_device import Id003Device
from drivers.sim.pty import PtyServer
from tests.drivers.id003_rig import Rig


def test_a_window_keeps_only_the_latest_figures_and_counts_them_all() -> None:
    window = Samples(4)
    for value in range(10):
        window.add(float(value))
    assert window.latest() == [6.0, 7.0, 8.0, 9.0]
    assert len(window) == 4 and window.seen == 10
    window.clear()
    assert window.latest() == [] and window.seen == 10


def test_an_empty_window_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Samples(0)


class SmallWindowDriver(Id003Driver):
    FIGURES_KEPT = 16


def test_a_polling_driver_keeps_a_bounded_window_of_round_trips() -> None:
    """The leak found in the field: every poll's round trip was kept for ever."""
    device = Id003Device()
    with PtyServer(device) as server:
        rig = Rig(device, server)
        driver = SmallWindowDriver(
            server.path, rig.events.put, rig.credit, poll_interval_s=0.002, reply_timeout_s=0.1
        )
        driver.start()
        try:
            rig.ready()
            rig.wait_until(lambda: driver.round_trips.seen > 100, timeout=20)
        finally:
            driver.stop()
    assert len(driver.round_trips) == 16
    assert all(0 < rtt < 1 for rtt in driver.round_trips.latest())
