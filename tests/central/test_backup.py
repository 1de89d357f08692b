"""The restore drill: a populated central database dumped, dropped, restored,
and compared — every table's row count, every transaction's id and hash."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from central import backup
from central.cli import main
from central.db import make_engine
from central.serve import running
from tests.central.conftest import Api, populate

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def _drop_and_create(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def test_the_restore_drill_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    populate(postgres_url)
    engine = make_engine(postgres_url)
    before = backup.fingerprint(engine)
    engine.dispose()
    assert len(before[1]) == 300 and before[0]["accounts"] > 0
    dump = backup.take(postgres_url, tmp_path / "b", NOW)
    assert dump.name == "central-20261203-020000.dump"
    _drop_and_create(postgres_url)  # the database is lost
    empty = create_engine(postgres_url)  # make_engine would build the tables
    with empty.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname='public'")) == 0
    empty.dispose()
    assert main(["restore", str(dump), "--db", postgres_url, "--replace"]) == 0
    engine = make_engine(postgres_url)
    assert backup.fingerprint(engine) == before  # every row, every transaction and its hash
    engine.dispose()
    with running(postgres_url) as central:  # and the server serves it again
        assert Api(central, "K-2").get("/bills/electricity/3301234567").status_code == 200


def test_a_file_that_is_not_a_dump_is_refused_and_the_database_is_untouched(
    postgres_url: str, tmp_path: Path
) -> None:
    populate(postgres_url)
    engine = make_engine(postgres_url)
    before = backup.fingerprint(engine)
    garbage = tmp_path / "central-20261203-020000.dump"
    garbage.write_bytes(b"PGDMP" + b"\x00" * 500)
    assert main(["restore", str(garbage), "--db", postgres_url, "--replace"]) == 1
    assert main(["restore", str(garbage), "--db", postgres_url]) == 2  # --replace: said on purpose
    with pytest.raises(backup.BadDump):
        backup.check(garbage)
    assert backup.fingerprint(engine) == before
    engine.dispose()


def test_a_dump_of_another_database_is_not_kept(tmp_path: Path) -> None:
    server = "postgresql+psycopg://postgres@127.0.0.1:5432"
    name = f"other_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432: {exc}")
    try:
        with pytest.raises(backup.BadDump, match="not the central database"):
            backup.take(f"{server}/{name}", tmp_path / "b", NOW)
        assert list((tmp_path / "b").iterdir()) == []  # nothing kept, not even a part
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_dumps_are_kept_fourteen_days(tmp_path: Path) -> None:
    populate(tmp_path / "c.db")
    url = f"sqlite:///{tmp_path / 'c.db'}"
    for day in range(16):
        backup.take(url, tmp_path / "b", NOW - timedelta(days=day))
    kept = backup.copies(tmp_path / "b")
    assert len(kept) == 14 and kept[0].name == "central-20261203-020000.db"
    assert all(backup.check(p) > 10 for p in kept)
