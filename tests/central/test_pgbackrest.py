"""The restore drill with pgBackRest and the shipped configuration: a
PostgreSQL cluster of its own archives its WAL continuously; a full and an
incremental backup are taken while kiosks upload; the cluster is lost; the
restore brings back every row, including those uploaded after the last
backup (from the archived WAL). Runs as root (PostgreSQL and pgBackRest then
run as ``postgres``); `make test` installs pgbackrest."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from central import backup
from central.db import make_engine
from tests.central.conftest import populate

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "packaging/deb/kiosk-central/etc/pgbackrest/conf.d/kiosk-central.conf"
BIN = Path("/usr/lib/postgresql/15/bin")
STANZA = "kiosk-central"


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "not root: PostgreSQL and pgBackRest run here as the postgres user"
    if shutil.which("pgbackrest") is None:
        return "pgbackrest is not installed (make test installs it)"
    if not (BIN / "initdb").exists():
        return f"no PostgreSQL 15 server binaries in {BIN}"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres user"
    return None


@dataclass
class Cluster:
    """A PostgreSQL cluster of its own, archiving to a pgBackRest repository;
    pgBackRest reads the shipped file, with the paths of this test."""

    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ["PATH"],
            "PGBACKREST_CONFIG": str(self.root / "empty.conf"),
            "PGBACKREST_CONFIG_INCLUDE_PATH": str(self.root / "conf.d"),
            "PGBACKREST_PG1_PATH": str(self.data),
            "PGBACKREST_PG1_PORT": str(self.port),
            "PGBACKREST_PG1_SOCKET_PATH": str(self.root),
            "PGBACKREST_REPO1_PATH": str(self.root / "repo"),
            "PGBACKREST_LOCK_PATH": str(self.root / "lock"),
            "PGBACKREST_LOG_PATH": str(self.root / "log"),
            "PGBACKREST_SPOOL_PATH": str(self.root / "spool"),
        }

    def run(self, *command: str | Path) -> str:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, command)],
            env=self.env(), capture_output=True, text=True, check=False, cwd=self.root,
        )  # fmt: skip
        assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def backrest(self, *args: str) -> str:
        return self.run("pgbackrest", f"--stanza={STANZA}", *args)

    def start(self) -> None:
        self.run(BIN / "pg_ctl", "-D", self.data, "-l", self.root / "postgres.log", "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run(BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    missing = _missing()
    if missing:
        pytest.skip(missing)
    root = Path(tempfile.mkdtemp(prefix="pgbackrest-"))
    for sub in ("conf.d", "repo", "lock", "log", "spool"):
        (root / sub).mkdir()
    shutil.copy(SHIPPED, root / "conf.d" / SHIPPED.name)
    (root / "empty.conf").write_text("")
    shutil.chown(root, "postgres", "postgres")
    for path in root.rglob("*"):
        shutil.chown(path, "postgres", "postgres")
    found = Cluster(root, _free_port())
    found.run(
        BIN / "initdb",
        "-D",
        found.data,
        "--auth=trust",
        "-U",
        "postgres",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
    )
    settings = (
        f"port = {found.port}\nlisten_addresses = '127.0.0.1'\n"
        f"unix_socket_directories = '{root}'\nwal_level = replica\narchive_mode = on\n"
        f"archive_command = 'pgbackrest --stanza={STANZA} archive-push %p'\n"
    )
    with (found.data / "postgresql.conf").open("a") as conf:
        conf.write(settings)
    found.start()
    try:
        yield found
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(BIN / "pg_ctl"), "-D", str(found.data),
             "-m", "immediate", "stop"], capture_output=True, check=False,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def _fingerprint(url: str) -> tuple[dict[str, int], dict[str, str]]:
    engine = make_engine(url)
    try:
        return backup.fingerprint(engine)
    finally:
        engine.dispose()


def test_a_lost_cluster_comes_back_to_its_last_archived_transaction(cluster: Cluster) -> None:
    cluster.backrest("stanza-create")
    cluster.backrest("check")  # the WAL reaches the repository
    populate(cluster.url)  # 300 uploads and the demo city
    cluster.backrest("--type=full", "backup")
    populate(cluster.url, "K-2", 50, seed=False)
    cluster.backrest("--type=incr", "backup")
    populate(cluster.url, "K-3", 20, seed=False)  # after the last backup: only in the WAL
    expected = _fingerprint(cluster.url)
    assert len(expected[1]) == 370
    cluster.backrest("check")  # switches the WAL segment and waits until it is archived
    info = cluster.backrest("info")
    assert "full backup" in info and "incr backup" in info

    cluster.stop("immediate")  # the machine is lost
    shutil.rmtree(cluster.data)
    cluster.backrest("restore")
    cluster.start()
    assert _fingerprint(cluster.url) == expected  # every row, every transaction and its hash
