"""Logs and journal onto a removable drive, for the technician to take away.

A drive is a mount point one or two levels under ``export_roots`` (udisks
mounts at /media/<user>/<label> or /run/media/<user>/<label>; a technician's
``mount`` often at /mnt/<x>). The export is a new folder
``kiosk-<id>-<UTC time>`` holding the live journal as JSON lines with the
result of its hash-chain check (and of each archive's), the upload queue's
state and dead letters, the log files, the newest ``kiosk backup`` copy
(``backup/``: a whole SQLite journal, checked when it was taken) and the
archived old records (``archive/``). Nothing in it is secret: the journal
never holds a PAN or a PIN.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from kiosk.maintenance.diagnostics import sync_state
from offline_queue import archive, backup
from offline_queue.journal import Journal


@dataclass(frozen=True, slots=True)
class Folders:
    """Where the export's files come from, beside the journal."""

    logs: Path
    backups: Path
    archives: Path


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


def export(journal: Journal, drive: Path, kiosk_id: str, data: Folders, now: datetime) -> Path:
    """Write the export folder on ``drive`` and flush it to the device; its path."""
    folder = drive / f"kiosk-{kiosk_id}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    folder.mkdir(parents=True)
    with (folder / "journal.jsonl").open("w", encoding="utf-8") as out:
        records = journal.export(out)
    verdict = journal.verify()
    archives = [
        {"file": c.anchor.file, "records": [c.anchor.first_seq, c.anchor.last_seq],
         "state": c.state, "problem": c.reason or None}
        for c in archive.check(journal, data.archives)
    ]  # fmt: skip
    check = {"records": records, "chain_ok": verdict.ok, "problem": verdict.reason,
             "archives": archives}  # fmt: skip
    (folder / "journal-check.json").write_text(json.dumps(check, indent=2), encoding="utf-8")
    state = asdict(sync_state(journal, dead_limit=1000))
    (folder / "outbox.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
    if data.logs.is_dir():
        shutil.copytree(data.logs, folder / "logs")
    newest = backup.copies(data.backups)[:1] if data.backups.is_dir() else []
    for path in newest:
        (folder / "backup").mkdir()
        shutil.copy2(path, folder / "backup" / path.name)
    for item in archives:
        path = data.archives / str(item["file"])
        if path.exists():
            (folder / "archive").mkdir(exist_ok=True)
            shutil.copy2(path, folder / "archive" / path.name)
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    os.sync()
    return folder
