"""A running pcscd with the vsmartcard vpcd reader, for the tests that need one.

The fixture uses a pcscd that already runs, or starts one for the session; it
skips — printing why — only where the system packages are missing (``make
test`` installs them, so CI skips nothing).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
READER = "Virtual PCD 00 00"


def _virtual_readers() -> list[str]:
    from drivers.cards.reader import reader_names  # noqa: PLC0415 - needs pyscard

    try:
        return [r for r in reader_names() if r.startswith("Virtual PCD")]
    except Exception:
        return []


class Pcscd:
    """The pcscd the tests use; ``restart`` only when the tests started it."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def ours(self) -> bool:
        return self.process is not None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["pcscd", "--foreground"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while len(_virtual_readers()) < 2:
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail("pcscd started but lists no Virtual PCD readers")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def pcscd_service() -> Iterator[Pcscd]:
    missing = [
        name
        for name, ok in (
            ("pcscd", shutil.which("pcscd") is not None),
            ("vsmartcard-vpcd", VPCD_DRIVER.exists()),
        )
        if not ok
    ]
    try:
        import smartcard  # noqa: F401, PLC0415
    except ImportError:
        missing.append("pyscard")
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (make test installs them)")
    service = Pcscd()
    if not _virtual_readers():
        service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def pcscd(pcscd_service: Pcscd) -> str:
    return READER
