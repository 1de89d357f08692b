"""Software releases: publish a signed one, offer each kiosk the newest meant
for it, serve its package resumably, and take the kiosks' reports.

The package is kept in the database in 1 MiB chunks, so every server process
and every box serves it alike and the database's backups hold it. A kiosk
asks ``GET /release`` (the newest release whose target takes it, or 204),
downloads ``GET /release/{version}/package`` with ``Range: bytes=N-`` to go
on where a cut connection left it, and reports each step of its update
(``POST /release/report``); ``rollout`` is the operator's view of them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine, delete, func, insert, select, update
from starlette.concurrency import run_in_threadpool

from central.auth import Kiosk, errors
from central.db import kiosks, release_chunks, release_reports, software_releases
from config.bundle import canonical, targets
from config.release import Release, parse

API = "/api/v1"
CHUNK = 1024 * 1024
OFFER_TTL_S = 10.0  # each process re-reads the published releases this often
STATES = ("downloading", "staged", "switched", "healthy", "failed", "rolled_back", "refused")
router = APIRouter(responses=errors(400, 401, 503))


class ReleaseRefused(ValueError):
    """A release that cannot be published; the message says why."""


def publish(engine: Engine, document: dict[str, Any], package: Path, public_hex: str) -> Release:
    """Store a signed release and its package, after checking both as a kiosk
    will: the signature, the document's rules, the package's size and sha256."""
    import hashlib  # noqa: PLC0415 - only the publisher hashes packages

    raw = canonical(document)
    release = parse(raw, public_hex)
    digest, size = hashlib.sha256(), package.stat().st_size
    if size != release.size:
        raise ReleaseRefused(f"{package}: {size} bytes, the document says {release.size}")
    with engine.begin() as conn:
        if conn.scalar(select(software_releases.c.version).where(
                software_releases.c.version == release.version)) is not None:  # fmt: skip
            raise ReleaseRefused(f"version {release.version} is published already")
        seq = (conn.scalar(select(func.max(software_releases.c.seq))) or 0) + 1
        conn.execute(insert(software_releases).values(
            version=release.version, seq=seq, document=raw.decode(), size=size,
            published_at=datetime.now(UTC),
        ))  # fmt: skip
        with package.open("rb") as fh:
            for n, data in enumerate(iter(lambda: fh.read(CHUNK), b"")):
                digest.update(data)
                conn.execute(insert(release_chunks).values(version=release.version, n=n, data=data))
        if digest.hexdigest() != release.sha256:
            raise ReleaseRefused(f"{package}: its sha256 is not the document's")  # rolled back
    return release


@dataclass(frozen=True, slots=True)
class Offered:
    version: str
    seq: int
    target: dict[str, Any]
    document: str
    size: int


class Offers:
    """The published releases, newest first, read at most every ``OFFER_TTL_S``
    per process: 10,000 kiosks asking cost a read every 10 s, not one each."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._read_at = -OFFER_TTL_S
        self._offers: list[Offered] = []

    def newest(self) -> list[Offered]:
        if time.monotonic() - self._read_at >= OFFER_TTL_S:
            with self._engine.connect() as conn:
                rows = conn.execute(
                    select(software_releases.c.version, software_releases.c.seq,
                           software_releases.c.document, software_releases.c.size)
                    .order_by(software_releases.c.seq.desc())
                ).all()  # fmt: skip
            import json  # noqa: PLC0415

            self._offers = [
                Offered(v, s, json.loads(d)["signed"]["target"], d, size) for v, s, d, size in rows
            ]
            self._read_at = time.monotonic()
        return self._offers

    def for_kiosk(self, kiosk_id: str, group: str) -> Offered | None:
        return next((o for o in self.newest() if targets(o.target, kiosk_id, group)), None)

    def forget(self) -> None:
        """Read again at the next ask (after a publish in this process)."""
        self._read_at = -OFFER_TTL_S


@router.get(
    f"{API}/release",
    responses={200: {"description": "the signed release document"}, 204: {"description": "none"}},
)
async def get_release(request: Request, kiosk: Kiosk) -> Response:
    """The newest published release meant for this kiosk (its target by group,
    percent slot or id); 204 when there is none. Whether to install it is the
    kiosk's to decide (version, expiry, what failed there)."""
    offers: Offers = request.app.state.releases
    group = request.state.kiosk_group
    offered = await run_in_threadpool(offers.for_kiosk, kiosk, group)
    if offered is None:
        return Response(status_code=204)
    return Response(offered.document, media_type="application/json")


_RANGE = re.compile(r"^bytes=(\d{1,12})-(\d{0,12})$")


@router.get(
    f"{API}/release/{{version}}/package",
    responses={200: {"description": "the package"}, 206: {"description": "a range of it"},
               404: {"description": "no such release"}, 416: {"description": "bad range"}},
)  # fmt: skip
async def get_package(
    request: Request, version: str, _: Kiosk, range: Annotated[str | None, Header()] = None
) -> Response:
    """The release's package; ``Range: bytes=N-`` (or ``N-M``) for the rest of a
    download a cut connection stopped."""
    offers: Offers = request.app.state.releases
    known = {o.version: o for o in await run_in_threadpool(offers.newest)}
    if version not in known:
        offers.forget()
        known = {o.version: o for o in await run_in_threadpool(offers.newest)}
    if version not in known:
        raise HTTPException(404, f"no release {version}")
    size = known[version].size
    start, end, status = 0, size - 1, 200
    if range is not None:
        match = _RANGE.match(range.strip())
        if match is None or int(match.group(1)) >= size:
            raise HTTPException(416, f"range {range!r}: not bytes=N- within {size} bytes",
                                headers={"Content-Range": f"bytes */{size}"})  # fmt: skip
        start = int(match.group(1))
        end = min(int(match.group(2) or size - 1), size - 1)
        if end < start:
            raise HTTPException(416, f"range {range!r}: ends before it starts",
                                headers={"Content-Range": f"bytes */{size}"})  # fmt: skip
        status = 206
    headers = {"Content-Length": str(end - start + 1), "Accept-Ranges": "bytes"}
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    body = _chunks(request.app.state.engine, version, start, end)
    return StreamingResponse(body, status_code=status, headers=headers,
                             media_type="application/vnd.debian.binary-package")  # fmt: skip


def _chunks(engine: Engine, version: str, start: int, end: int) -> Iterator[bytes]:
    """Bytes ``start``..``end`` of the package, read a chunk at a time."""
    for n in range(start // CHUNK, end // CHUNK + 1):
        with engine.connect() as conn:
            data = conn.scalar(select(release_chunks.c.data).where(
                release_chunks.c.version == version, release_chunks.c.n == n))  # fmt: skip
        if data is None:
            return
        low = max(start - n * CHUNK, 0)
        high = min(end - n * CHUNK + 1, len(data))
        yield bytes(data[low:high])


class Report(BaseModel):
    version: str = Field(max_length=32, pattern=r"^\d{1,6}\.\d{1,6}\.\d{1,6}$")
    state: Literal["downloading", "staged", "switched", "healthy", "failed", "rolled_back",
                   "refused"]  # fmt: skip
    detail: str = Field(default="", max_length=500)


@router.post(f"{API}/release/report", status_code=204, responses={404: {"description": "unknown"}})
async def post_report(request: Request, report: Report, kiosk: Kiosk) -> Response:
    """How this kiosk's update to ``version`` goes: its newest state is kept."""
    found = await run_in_threadpool(_report, request.app.state.engine, kiosk, report)
    if not found:
        raise HTTPException(404, f"no release {report.version}")
    return Response(status_code=204)


def _report(engine: Engine, kiosk: str, report: Report) -> bool:
    row = {"state": report.state, "detail": report.detail, "at": datetime.now(UTC)}
    with engine.begin() as conn:
        if conn.scalar(select(software_releases.c.version).where(
                software_releases.c.version == report.version)) is None:  # fmt: skip
            return False
        mine = (release_reports.c.kiosk_id == kiosk) & (release_reports.c.version == report.version)
        if conn.execute(update(release_reports).where(mine).values(**row)).rowcount == 0:
            conn.execute(insert(release_reports).values(kiosk_id=kiosk, version=report.version,
                                                        **row))  # fmt: skip
    return True


@dataclass(frozen=True, slots=True)
class Rollout:
    """One release's progress over the fleet."""

    version: str
    target: dict[str, Any]
    targeted: int  # enrolled kiosks its target takes
    states: dict[str, int]  # kiosks by their newest report
    pending: int  # targeted kiosks that have not reported yet


def rollout(engine: Engine) -> list[Rollout]:
    """Every release, newest first, with its kiosks by state."""
    import json  # noqa: PLC0415

    with engine.connect() as conn:
        fleet = conn.execute(select(kiosks.c.id, kiosks.c.group_name)).all()
        published = conn.execute(
            select(software_releases.c.version, software_releases.c.document)
            .order_by(software_releases.c.seq.desc())
        ).all()  # fmt: skip
        counted = conn.execute(
            select(release_reports.c.version, release_reports.c.state, func.count())
            .group_by(release_reports.c.version, release_reports.c.state)
        ).all()  # fmt: skip
    found = []
    for version, document in published:
        target = json.loads(document)["signed"]["target"]
        states = {state: int(n) for v, state, n in counted if v == version}
        taken = sum(1 for kiosk, group in fleet if targets(target, kiosk, group))
        found.append(Rollout(version, target, taken, states, max(taken - sum(states.values()), 0)))
    return found


def withdraw(engine: Engine, version: str) -> bool:
    """Take a release off the offer (its reports go too); False when unknown."""
    with engine.begin() as conn:
        conn.execute(delete(release_reports).where(release_reports.c.version == version))
        conn.execute(delete(release_chunks).where(release_chunks.c.version == version))
        gone = conn.execute(delete(software_releases).where(software_releases.c.version == version))
    return bool(gone.rowcount)
