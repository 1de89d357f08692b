"""Logs and journal onto a removable drive, for the technician to take away.

A drive is a mount point one or two levels under ``export_roots`` (udisks
mounts at /media/<user>/<label> or /run/media/<user>/<label>; a technician's
``mount`` often at /mnt/<x>). The export is a new folder
``kiosk-<id>-<UTC time>`` holding the journal as JSON lines with the result of
its hash-chain check, the upload queue's state and dead letters, and the log
files. Nothing in it is secret: the journal never holds a PAN or a PIN.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from kiosk.maintenance.diagnostics import sync_state
from offline_queue.journal import Journal


def drives(roots: Iterable[str], is_mount: Callable[[Path], bool] = os.path.ismount) -> list[Path]:
    found: list[Path] = []
    for root in map(Path, roots):
        if not root.is_dir():
            continue
        for child in sorted(p for p in root.iterdir() if p.is_dir()):
            if is_mount(child):
                found.append(child)
                continue
            try:
                found += [g for g in sorted(child.iterdir()) if g.is_dir() and is_mount(g)]
            except OSError:
                continue
    return found


def export(journal: Journal, drive: Path, kiosk_id: str, logs: Path, now: datetime) -> Path:
    """Write the export folder on ``drive`` and flush it to the device; its path."""
    folder = drive / f"kiosk-{kiosk_id}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    folder.mkdir(parents=True)
    with (folder / "journal.jsonl").open("w", encoding="utf-8") as out:
        records = journal.export(out)
    verdict = journal.verify()
    check = {"records": records, "chain_ok": verdict.ok, "problem": verdict.reason}
    (folder / "journal-check.json").write_text(json.dumps(check, indent=2), encoding="utf-8")
    state = asdict(sync_state(journal, dead_limit=1000))
    (folder / "outbox.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
    if logs.is_dir():
        shutil.copytree(logs, folder / "logs")
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    os.sync()
    return folder
