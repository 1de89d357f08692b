"""pcscd with the vsmartcard vpcd reader, for the simulated card reader.

The simulated cards (``drivers.sim.vicc``) reach the kiosk through the real
PC/SC stack: Debian's ``pcscd`` loads the ``vpcd`` driver, which listens on
loopback for a virtual card to connect. ``Pcscd`` uses a pcscd that already
lists the virtual readers, or starts one (as root) and stops it again.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from drivers.sim.vicc import VirtualCard, VpcdSlot

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
READER = "Virtual PCD 00 00"
HAND_S = 0.5  # from one card out to the next one in, at the quickest
SECOND_READER = "Virtual PCD 00 01"  # vpcd's second slot (port 35964): a second rig beside tests


class PcscdUnavailable(RuntimeError):
    """pcscd or the vpcd driver is missing, or pcscd shows no virtual reader."""


def missing_parts() -> list[str]:
    """What this machine lacks for the simulated reader (empty: nothing)."""
    missing = [
        name
        for name, ok in (
            ("pcscd", shutil.which("pcscd") is not None),
            ("vsmartcard-vpcd", VPCD_DRIVER.exists()),
        )
        if not ok
    ]
    try:
        import smartcard  # noqa: F401, PLC0415 - optional: built from source
    except ImportError:
        missing.append("pyscard")
    return missing


def virtual_readers() -> list[str]:
    from drivers.cards.reader import reader_names  # noqa: PLC0415 - needs pyscard

    try:
        return [r for r in reader_names() if r.startswith("Virtual PCD")]
    except Exception:
        return []


class Pcscd:
    """The pcscd in use; ``stop`` and ``restart`` touch only one we started."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def ours(self) -> bool:
        return self.process is not None

    def ensure(self) -> None:
        """Use the running pcscd if it lists the virtual readers, else start one."""
        missing = missing_parts()
        if missing:
            raise PcscdUnavailable(f"needs {', '.join(missing)}")
        if not virtual_readers():
            self.start()

    def start(self, timeout_s: float = 10.0) -> None:
        binary = shutil.which("pcscd")
        if binary is None:
            raise PcscdUnavailable("needs pcscd")
        self.process = subprocess.Popen(  # noqa: S603 - a fixed system binary
            [binary, "--foreground"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout_s
        while len(virtual_readers()) < 2:
            if time.monotonic() > deadline:
                self.stop()
                raise PcscdUnavailable("pcscd started but lists no Virtual PCD readers")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class Slot(VpcdSlot):
    """The vpcd slot as a customer uses it: a card goes in only once pcscd's own
    reader state has shown the slot empty for a moment, as a hand takes.

    vpcd swaps cards in an instant. Faster than pcscd polls the reader, pcscd
    (and the kiosk's card watcher) never see the change of card; and a card
    connected while pcscd is still dropping the last one (a host was talking
    to it) is never seen at all."""

    def __init__(self, reader: str = READER, slot: int = 0) -> None:
        super().__init__(slot)
        self.reader = reader

    def insert(self, card: VirtualCard, timeout: float = 5.0) -> None:
        from drivers.cards.reader import pcscd_sees_card  # noqa: PLC0415 - needs pyscard

        self.remove()
        deadline = time.monotonic() + timeout
        while pcscd_sees_card(self.reader):
            if time.monotonic() > deadline:
                raise PcscdUnavailable("pcscd still sees a card in the emptied slot")
            time.sleep(0.05)
        time.sleep(HAND_S)
        super().insert(card, timeout)
