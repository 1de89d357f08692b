"""pcscd with the vsmartcard vpcd reader, for the simulated card reader.

The simulated cards (``drivers.sim.vicc``) reach the kiosk through the real
PC/SC stack: Debian's ``pcscd`` loads the ``vpcd`` driver, which listens on
loopback for a virtual card to connect. ``Pcscd`` uses a pcscd that already
lists the virtual readers, or starts one (as root) and stops it again.

A pcscd that runs but lists no virtual reader (one started by apt's postinst
with another configuration, or before vpcd was installed) holds pcscd's socket
so that a second cannot start; ``ensure`` stops it and starts its own, which
serves the machine's other readers as well.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
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


def running_pcscd() -> list[int]:
    """The process ids of every live pcscd on this machine (not a zombie that
    its parent has yet to reap)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            line = stat.read_text()
        except OSError:
            continue  # it ended while we looked
        name, rest = line.split("(", 1)[1].rsplit(")", 1)
        if name == "pcscd" and rest.split()[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def stop_processes(pids: list[int], timeout_s: float = 10.0) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + timeout_s
    while any(pid in running_pcscd() for pid in pids):
        if time.monotonic() > deadline:
            raise PcscdUnavailable(f"pcscd {pids} did not stop within {timeout_s:.0f} s")
        time.sleep(0.05)


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
        if virtual_readers():
            return
        others = running_pcscd()
        if others:
            print(f"pcscd {others} lists no Virtual PCD reader: replacing it")  # noqa: T201
            stop_processes(others)
        self.start()

    def start(self, timeout_s: float = 10.0, port_wait_s: float = 120.0) -> None:
        """Start pcscd; wait for its virtual readers. vpcd cannot listen on its
        ports while connections to an earlier pcscd's sit in TIME_WAIT (up to a
        minute after it stopped), so "Address already in use" is tried again."""
        deadline = time.monotonic() + port_wait_s
        while True:
            said = self._start_once(timeout_s)
            if said is None:
                return
            if "Address already in use" not in said or time.monotonic() > deadline:
                raise PcscdUnavailable(f"pcscd started but {said}")
            time.sleep(2.0)

    def _start_once(self, timeout_s: float) -> str | None:
        """None once pcscd lists both virtual readers; else what went wrong."""
        binary = shutil.which("pcscd")
        if binary is None:
            raise PcscdUnavailable("needs pcscd")
        with tempfile.TemporaryFile() as log:
            self.process = subprocess.Popen(  # noqa: S603 - a fixed system binary
                [binary, "--foreground"], stdout=log, stderr=subprocess.STDOUT
            )
            deadline = time.monotonic() + timeout_s
            while len(virtual_readers()) < 2:
                ended = self.process.poll()
                if ended is not None or time.monotonic() > deadline:
                    self.stop()
                    log.seek(0)
                    said = log.read().decode(errors="replace").strip()[-600:]
                    how = (
                        f"exited with {ended}"
                        if ended is not None
                        else "lists no Virtual PCD readers"
                    )
                    return f"{how}: {said or 'it said nothing'}"
                time.sleep(0.2)
        return None

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
