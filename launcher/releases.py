"""Releases side by side, one ``current`` link, and the health gate.

Under the install root (``/opt/kiosk``)::

    releases/<version>/       a whole release: its Python environment and code
    current -> releases/<v>   the one that runs, switched by one rename

and in the state folder (``/var/lib/kiosk/update``)::

    staged.json     a release downloaded, checked and installed beside the
                    running one, waiting for the kiosk to be idle
    gate.json       a switch on probation: from, to, when, starts since
    failed.json     the versions that failed their gate here (not tried again)

and, written by the kiosk itself in its data folder: ``health.json`` (the
version running, when it started, became ready and last had a heartbeat
accepted) and ``switch-asked`` (idle, with a release staged: switch me).

A switch writes ``gate.json`` first, then renames a new link over
``current``: a power cut before the rename leaves the old release current
and a gate that names another (dropped at the next start); after it, the
new release current and its gate open. A release directory appears only by
the rename of a whole extracted tree, so ``current`` always names a whole
release.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from offline_queue.files import fsync_folder, write_atomically

READY_S = 300  # the new release must be ready (recovery, first screen, a heartbeat) by then
WINDOW_S = 600  # and stay up this long after
MAX_STARTS = 2  # starts of the new release before it is judged a crash loop; with
# the start before the switch, well under kiosk.service's StartLimitBurst=5
ALIVE_S = 120  # a heartbeat this recent means the kiosk still runs


class StageError(RuntimeError):
    """A package that cannot be installed beside the running release."""


@dataclass(frozen=True, slots=True)
class Place:
    root: Path  # /opt/kiosk
    state: Path  # /var/lib/kiosk/update
    data: Path  # the kiosk's data folder (health.json, switch-asked)

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    @property
    def downloads(self) -> Path:
        return self.state / "downloads"


@dataclass(frozen=True, slots=True)
class Gate:
    came_from: str
    to: str
    at: str  # ISO time of the switch
    starts: int = 0
    ready_s: int = READY_S
    window_s: int = WINDOW_S


@dataclass(frozen=True, slots=True)
class Health:
    """What the kiosk wrote of itself (``health.json``)."""

    version: str
    started_at: str
    ready_at: str | None = None
    heartbeat_at: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    state: str  # "wait", "healthy", "rollback"
    reason: str


def installed(place: Place) -> str | None:
    """The version ``current`` names, or None when there is no link."""
    try:
        return Path(os.readlink(place.current)).name
    except OSError:
        return None


def stage(place: Place, deb: Path, version: str) -> Path:
    """Install ``deb``'s release tree beside the running one (not through dpkg:
    the running release stays whole); then ``staged.json``. Its folder."""
    final = place.releases / version
    if not final.is_dir():
        work = place.releases / f".staging-{version}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            done = subprocess.run(["dpkg-deb", "--extract", str(deb), str(work)],  # noqa: S603, S607
                                  capture_output=True, text=True, check=False)  # fmt: skip
            if done.returncode != 0:
                raise StageError(f"{deb.name}: {done.stderr.strip() or 'dpkg-deb failed'}")
            tree = work / "opt" / "kiosk" / "releases" / version
            if not (tree / "bin").is_dir():
                raise StageError(f"{deb.name}: no /opt/kiosk/releases/{version}/bin in it")
            _compile(tree)  # as postinst does: the kiosk's user cannot write bytecode there
            os.rename(tree, final)  # the release appears whole, or not at all
            fsync_folder(place.releases)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    write_atomically(place.state / "staged.json", json.dumps({"version": version}).encode())
    return final


def _compile(tree: Path) -> None:
    python, lib = tree / "bin" / "python", tree / "lib"
    if python.exists() and lib.is_dir():
        subprocess.run([str(python), "-m", "compileall", "-q", "-j", "0", str(lib)],  # noqa: S603
                       capture_output=True, check=False)  # fmt: skip


def staged(place: Place) -> str | None:
    return _version_in(place.state / "staged.json")


def switch_asked(place: Place) -> bool:
    return (place.data / "switch-asked").exists()


def switch(
    place: Place, to: str, now: datetime, *, ready_s: int = READY_S, window_s: int = WINDOW_S,
    step: Callable[[str], object] = lambda _: None,
) -> Gate:  # fmt: skip
    """Make ``to`` current, on probation. ``step`` is told each step's name
    before it is taken (a crash test stops the process there)."""
    came_from = installed(place)
    if came_from is None or not (place.releases / to / "bin").is_dir():
        raise StageError(f"cannot switch from {came_from} to {to}: not both installed")
    gate = Gate(came_from, to, now.isoformat(), 0, ready_s, window_s)
    step("gate")
    write_atomically(place.state / "gate.json", json.dumps(asdict(gate)).encode())
    step("link")
    _link(place, to, step)
    step("tidy")
    for done in (place.state / "staged.json", place.data / "switch-asked"):
        done.unlink(missing_ok=True)
    return gate


def _link(place: Place, version: str, step: Callable[[str], object] = lambda _: None) -> None:
    new = place.root / "current.new"
    new.unlink(missing_ok=True)
    new.symlink_to(f"releases/{version}")
    step("rename")
    os.replace(new, place.current)
    fsync_folder(place.root)


def gate(place: Place) -> Gate | None:
    try:
        return Gate(**json.loads((place.state / "gate.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def health(place: Place) -> Health | None:
    try:
        data: dict[str, Any] = json.loads((place.data / "health.json").read_text())
        return Health(str(data["version"]), str(data["started_at"]), data.get("ready_at"),
                      data.get("heartbeat_at"))  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None


def judge(gate: Gate, seen: Health | None, now: datetime) -> Verdict:
    """Is the release on probation healthy, still to be waited for, or to be
    rolled back? Pure: the gate, what the kiosk wrote of itself, the clock."""
    if gate.starts > MAX_STARTS:
        return Verdict("rollback", f"{gate.to} started {gate.starts} times: a crash loop")
    since = now - datetime.fromisoformat(gate.at)
    lacking = _lacking(gate, seen, now)
    if lacking is not None:
        waiting, failing, allowed = lacking
        late = since > timedelta(seconds=allowed)
        return Verdict("rollback", failing) if late else Verdict("wait", waiting)
    assert seen is not None and seen.ready_at is not None
    up = (now - datetime.fromisoformat(seen.ready_at)).total_seconds()
    if up >= gate.window_s:
        return Verdict("healthy", f"{gate.to}: up {up:.0f} s since ready")
    return Verdict("wait", f"{gate.to}: up {up:.0f} of {gate.window_s} s")


def _lacking(gate: Gate, seen: Health | None, now: datetime) -> tuple[str, str, int] | None:
    """What the release still lacks: (while waiting, once too late, seconds it
    is allowed from the switch); None when it is ready and beating."""
    to, ready_s = gate.to, gate.ready_s
    if seen is None or seen.version != to or seen.started_at < gate.at or seen.ready_at is None:
        return (
            f"{to}: waiting for it to be ready",
            f"{to} was not ready within {ready_s} s",
            ready_s,
        )
    beat = seen.heartbeat_at
    if beat is None or beat < seen.ready_at:
        return (f"{to}: ready, waiting for a heartbeat to be accepted",
                f"{to}: no heartbeat accepted within {ready_s} s", ready_s)  # fmt: skip
    if now - datetime.fromisoformat(beat) > timedelta(seconds=ALIVE_S):
        return (f"{to}: its last heartbeat is old", f"{to}: its heartbeats stopped",
                ready_s + gate.window_s)  # fmt: skip
    return None


def started(place: Place) -> Gate | None:
    """The kiosk is being started: count the start against an open gate. A gate
    whose switch never happened (a power cut before the rename) is dropped."""
    found = gate(place)
    if found is None:
        return None
    if installed(place) != found.to:
        (place.state / "gate.json").unlink(missing_ok=True)
        return None
    counted = Gate(found.came_from, found.to, found.at, found.starts + 1, found.ready_s,
                   found.window_s)  # fmt: skip
    write_atomically(place.state / "gate.json", json.dumps(asdict(counted)).encode())
    return counted


def roll_back(place: Place, found: Gate) -> None:
    """Back to the release the gate came from; the failed one is remembered."""
    _link(place, found.came_from)
    failed_list = sorted({*failed(place), found.to})
    write_atomically(place.state / "failed.json", json.dumps(failed_list).encode())
    (place.state / "gate.json").unlink(missing_ok=True)


def passed(place: Place, found: Gate) -> list[str]:
    """The gate passed: closed, and releases other than this and the one before
    it removed (the removed returned)."""
    (place.state / "gate.json").unlink(missing_ok=True)
    keep = {found.to, found.came_from}
    removed = []
    for folder in sorted(place.releases.iterdir()):
        if folder.is_dir() and not folder.name.startswith(".") and folder.name not in keep:
            shutil.rmtree(folder)
            removed.append(folder.name)
    return removed


def failed(place: Place) -> list[str]:
    try:
        found = json.loads((place.state / "failed.json").read_text())
    except (OSError, ValueError):
        return []
    return [str(v) for v in found] if isinstance(found, list) else []


def _version_in(path: Path) -> str | None:
    try:
        return str(json.loads(path.read_text())["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
