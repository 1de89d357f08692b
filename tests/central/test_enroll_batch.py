"""``kiosk-central enroll-batch``: a district's kiosk ids and codes at once,
in one database transaction, each code good for one enrollment."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from central.cli import main
from central.db import enrollment_codes, make_engine
from central.serve import running


def batch(capsys: pytest.CaptureFixture[str], db: str, *more: str) -> list[tuple[str, str]]:
    assert main(["enroll-batch", "--db", db, *more]) == 0
    pairs = [line.split(" ") for line in capsys.readouterr().out.splitlines()]
    return [(kiosk, code) for kiosk, code in pairs]


def codes_stored(db: str) -> int:
    engine = make_engine(db)
    with engine.connect() as conn:
        found = conn.scalar(select(func.count()).select_from(enrollment_codes))
    engine.dispose()
    return int(found or 0)


def test_a_batch_prints_an_id_and_a_code_a_line_and_each_code_enrolls_its_kiosk_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'central.db'}"
    made = batch(capsys, db, "--count", "3", "--prefix", "XH-", "--group", "xihu")
    assert [kiosk for kiosk, _ in made] == ["XH-00001", "XH-00002", "XH-00003"]
    assert len({code for _, code in made}) == 3
    with running(db) as central:
        url = f"{central.url}/api/v1/enroll"
        for kiosk, code in made:
            answer = requests.post(url, json={"code": code}, timeout=5)
            assert answer.status_code == 200
            assert (answer.json()["kiosk_id"], answer.json()["group"]) == (kiosk, "xihu")
        assert requests.post(url, json={"code": made[0][1]}, timeout=5).status_code == 403


def test_a_second_batch_numbers_on_from_the_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'central.db'}"
    batch(capsys, db, "--count", "2", "--prefix", "XH-")
    again = batch(capsys, db, "--count", "2", "--prefix", "XH-")
    other = batch(capsys, db, "--count", "1", "--prefix", "XH")  # a prefix of the prefix
    assert [kiosk for kiosk, _ in again] == ["XH-00003", "XH-00004"]
    assert [kiosk for kiosk, _ in other] == ["XH00001"]


def test_a_batch_on_postgresql_is_stored_whole(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    made = batch(capsys, postgres_url, "--count", "500", "--prefix", "BJ-")
    assert len(made) == 500 and made[-1][0] == "BJ-00500"
    assert codes_stored(postgres_url) == 500


@pytest.mark.parametrize(
    ("more", "says"),
    [
        (["--count", "0", "--prefix", "XH-"], "--count: 1 to 100000, not 0"),
        (["--count", "2", "--prefix", "X H'; DROP TABLE kiosks;--"], "--prefix: letters"),
        (["--count", "2"], "--count N and --prefix P-"),
    ],
)
def test_a_bad_count_or_prefix_is_refused_by_name_and_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], more: list[str], says: str
) -> None:
    db = f"sqlite:///{tmp_path / 'central.db'}"
    assert main(["enroll-batch", "--db", db, *more]) == 2
    assert says in capsys.readouterr().err
    if (tmp_path / "central.db").exists():
        assert codes_stored(db) == 0
