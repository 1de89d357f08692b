"""``kiosk-central backup`` and ``kiosk-central restore``: the whole database
as one file, and back.

PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot taken while the
server serves), checked by ``pg_restore --list`` before it is renamed into
place; the restore is ``pg_restore --clean --if-exists --single-transaction``
into the database the URL names, refused for a file that is not a dump.
SQLite: ``VACUUM INTO`` and ``PRAGMA integrity_check``. The newest dump of
each of the last ``KEEP_DAYS`` days is kept. Continuous WAL archiving for a
point-in-time restore is PostgreSQL's own (``archive_command`` in the shipped
``postgresql.conf``, or pgBackRest's); this is the daily full copy.

``fingerprint`` is what a restore drill compares: every table's row count and
every uploaded transaction's id with the SHA-256 of what the kiosk sent.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from central.db import metadata, transactions
from config import rotation

KEEP_DAYS = 14
PREFIX = "central-"


class BadDump(ValueError):
    """A file that is not a whole dump of this database (never restored)."""


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed (Debian: postgresql-client)")
    return found


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=False, capture_output=True, text=True)  # noqa: S603


def take(url: str, folder: Path, now: datetime) -> Path:
    """A checked dump of the database at ``url`` in ``folder``; older ones pruned."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    postgres = make_url(url).get_backend_name() == "postgresql"
    final = folder / f"{PREFIX}{now:%Y%m%d-%H%M%S}.{'dump' if postgres else 'db'}"
    part = final.with_name(final.name + ".part")
    part.unlink(missing_ok=True)
    if postgres:
        done = _run(
            _tool("pg_dump"), "--format=custom", "--no-owner", f"--file={part}", _libpq(url)
        )
        if done.returncode != 0:
            raise BadDump(f"pg_dump failed: {done.stderr.strip()[:300]}")
    else:
        database = make_url(url).database
        with sqlite3.connect(str(database)) as conn:
            conn.execute("VACUUM INTO ?", (str(part),))
    try:
        check(part)
    except BadDump:
        part.unlink(missing_ok=True)
        raise
    rotation.put_in_place(part, final)
    prune(folder)
    return final


def check(path: Path) -> int:
    """How many objects the dump holds, or BadDump."""
    if path.suffix == ".db" or path.name.endswith(".db.part"):
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
                tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise BadDump(f"{path}: not an SQLite database: {exc}") from None
        if verdict != "ok":
            raise BadDump(f"{path}: integrity check failed: {verdict}")
        return int(tables)
    listed = _run(_tool("pg_restore"), "--list", str(path))
    if listed.returncode != 0:
        raise BadDump(f"{path}: not a PostgreSQL dump: {listed.stderr.strip()[:200]}")
    entries = [line for line in listed.stdout.splitlines() if line and not line.startswith(";")]
    if not any(" TABLE DATA " in line and f" {transactions.name} " in line for line in entries):
        raise BadDump(f"{path}: no {transactions.name} in this dump: not the central database")
    return len(entries)


def restore(url: str, path: Path) -> None:
    """The dump at ``path`` into the database at ``url`` (its tables replaced,
    all or nothing); BadDump for a file that is not one."""
    check(path)
    if make_url(url).get_backend_name() == "postgresql":
        done = _run(_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                    "--single-transaction", "--exit-on-error", f"--dbname={_libpq(url)}",
                    str(path))  # fmt: skip
        if done.returncode != 0:
            raise BadDump(f"{path}: pg_restore refused it: {done.stderr.strip()[:300]}")
        return
    target = Path(str(make_url(url).database))
    part = target.with_name(target.name + ".restoring")
    shutil.copyfile(path, part)
    os.replace(part, target)


def copies(folder: Path) -> list[Path]:
    return sorted((*folder.glob(f"{PREFIX}*.dump"), *folder.glob(f"{PREFIX}*.db")),
                  key=lambda p: p.name, reverse=True)  # fmt: skip


def prune(folder: Path, keep_days: int = KEEP_DAYS) -> list[Path]:
    """Keep the newest dump of each of the newest ``keep_days`` days."""
    return rotation.keep_daily(copies(folder), PREFIX, keep_days)


def fingerprint(engine: Engine) -> tuple[dict[str, int], dict[str, str]]:
    """Every table's row count; every transaction's id -> SHA-256 of its payload."""
    with engine.connect() as conn:
        counts = {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0)
                  for t in metadata.sorted_tables}  # fmt: skip
        hashes = {
            str(tx): hashlib.sha256(str(payload).encode()).hexdigest()
            for tx, payload in conn.execute(select(transactions.c.id, transactions.c.payload))
        }
    return counts, hashes
