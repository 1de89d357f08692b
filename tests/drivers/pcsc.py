"""A running pcscd with the vsmartcard vpcd reader, for the tests that need one.

The fixture uses a pcscd that already runs, or starts one for the session; it
skips — printing why — only where the system packages are missing (``make
test`` installs them, so CI skips nothing).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.sim.pcscd import READER, Pcscd, PcscdUnavailable, Slot, missing_parts

__all__ = ["READER", "Pcscd", "pcscd", "pcscd_service", "slot"]


@pytest.fixture(scope="session")
def pcscd_service() -> Iterator[Pcscd]:
    missing = missing_parts()
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (make test installs them)")
    service = Pcscd()
    try:
        service.ensure()
    except PcscdUnavailable as exc:
        pytest.fail(str(exc))
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def pcscd(pcscd_service: Pcscd) -> str:
    return READER


@pytest.fixture
def slot(pcscd: str) -> Iterator[Slot]:
    """The vpcd slot a customer puts cards in; emptied after the test."""
    s = Slot(pcscd)
    yield s
    s.remove()
