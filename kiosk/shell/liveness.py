"""What the kiosk tells the updater about itself (``launcher/releases.py``'s
health gate): ``health.json`` in the data folder — the version running, when
it started, when it became ready (recovery done, the first screen painted),
when the central server last accepted its heartbeat — and, beside it, which
release the updater has installed beside this one (``update/staged.json``)."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


class Liveness:
    def __init__(self, data_dir: Path, version: str) -> None:
        self._path = data_dir / "health.json"
        self._staged = data_dir / "update" / "staged.json"
        self._state: dict[str, str | None] = {
            "version": version, "started_at": _now(), "ready_at": None, "heartbeat_at": None,
        }  # fmt: skip
        self._write()

    def ready(self) -> None:
        self._state["ready_at"] = _now()
        self._write()

    def heartbeat_accepted(self) -> None:
        self._state["heartbeat_at"] = _now()
        self._write()

    def staged(self) -> str | None:
        """The release staged beside this one, if another than this."""
        try:
            version = str(json.loads(self._staged.read_text())["version"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return None if version == self._state["version"] else version

    def _write(self) -> None:
        """Whole or not at all (a rename), but not synced: written on the Qt
        thread at READY, and after a power cut the gate just waits for the next."""
        temporary = self._path.with_suffix(".json.tmp")
        try:
            temporary.write_text(json.dumps(self._state), encoding="utf-8")
            os.replace(temporary, self._path)
        except OSError as exc:  # the journal's disk is checked elsewhere; this is advice
            log.warning("%s not written: %s", self._path, exc)


def _now() -> str:
    return datetime.now(UTC).isoformat()
