"""What the technician sees beyond the devices: the upload queue, the network,
the config in use, the software, disk and memory. Plain data, gathered on demand."""

from __future__ import annotations

import os
import resource
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from offline_queue.journal import DeadLetter, Journal


@dataclass(frozen=True, slots=True)
class SyncState:
    pending: int
    sent: int
    dead: int
    oldest_unsent: str | None
    last_sent: str | None
    dead_letters: tuple[DeadLetter, ...]


@dataclass(frozen=True, slots=True)
class SystemState:
    app_version: str
    settings_version: int  # the config bundle in use (0: embedded defaults and the site file)
    bundle_signer: str  # the operator key the kiosk pins (its first 16 hex digits)
    kiosk_id: str
    enrolled_as: str | None
    central_url: str
    disk_free_mb: int
    disk_total_mb: int
    memory_rss_mb: int
    memory_available_mb: int | None
    demo_pins: bool  # the embedded demo PINs are still in use


@dataclass(frozen=True, slots=True)
class NetworkCheck:
    reachable: bool
    latency_ms: int | None
    detail: str


def sync_state(journal: Journal, dead_limit: int = 50) -> SyncState:
    counts = journal.outbox_counts()
    oldest, last = journal.outbox_times()
    return SyncState(
        counts["pending"], counts["sent"], counts["dead"], oldest, last,
        tuple(journal.outbox_dead(dead_limit)),
    )  # fmt: skip


def memory_available_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def rss_mb() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") // 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def disk_mb(folder: Path) -> tuple[int, int]:
    usage = shutil.disk_usage(folder)
    return usage.free // 2**20, usage.total // 2**20


def check_network(base_url: str, timeout_s: float = 5.0, verify: bool | str = True) -> NetworkCheck:
    """Can the kiosk reach its central server? (``GET /api/v1/health``, timed)."""
    url = base_url.rstrip("/") + "/api/v1/health"
    started = time.perf_counter()
    try:
        response = requests.get(url, timeout=timeout_s, verify=verify)
    except requests.exceptions.SSLError:
        return NetworkCheck(False, None, "the server's TLS certificate is not trusted")
    except requests.Timeout:
        return NetworkCheck(False, None, f"no answer within {timeout_s:g} s")
    except requests.RequestException as exc:
        return NetworkCheck(False, None, f"cannot connect: {type(exc).__name__}")
    latency = round((time.perf_counter() - started) * 1000)
    if response.status_code != 200:
        return NetworkCheck(False, latency, f"the server answered HTTP {response.status_code}")
    return NetworkCheck(True, latency, "the central server answers")
