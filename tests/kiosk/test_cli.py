"""The ``kiosk`` and ``kiosk-dev`` command lines, run in-process and as the
installed scripts."""

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from central.cli import main as central_main
from devtools.cli import main as dev_main
from drivers.sim.cli import main as sim_main
from drivers.sim.pcscd import missing_parts
from launcher.cli import main
from offline_queue.journal import Journal

SESSION = "0b5c6f0e-3f5e-4c55-9a8e-6a1f1d1d2b01"


def test_config_check_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[kiosk]\nid = "SITE-1"\n', encoding="utf-8")
    assert main(["config", "check", str(site)]) == 0
    assert "ok — kiosk SITE-1, 5 services" in capsys.readouterr().out


def test_config_check_names_key_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.toml"
    site.write_text("[cash]\nmax_overpay_fen = 10.5\n", encoding="utf-8")
    assert main(["config", "check", str(site)]) == 2
    err = capsys.readouterr().err
    assert "cash.max_overpay_fen: Input should be a valid integer" in err


def test_config_check_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(tmp_path / "none.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_flow_dot_is_valid_graphviz(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flow", "--dot"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith("digraph pay_flow {")
    if shutil.which("dot") is None:
        pytest.skip("graphviz 'dot' is not installed (make test installs it): syntax not checked")
    result = subprocess.run(
        ["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout


def test_flow_without_dot_is_an_error() -> None:
    assert main(["flow"]) == 2


def journal_file(tmp_path: Path) -> Path:
    path = tmp_path / "journal.db"
    with Journal(path) as journal:
        for minor in (100, 200, 300):
            journal.append("note_stacked", SESSION, {"value": {"minor": minor, "currency": "CNY"}})
    return path


def test_journal_verify_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = journal_file(tmp_path)
    assert main(["journal", "verify", "--db", str(db)]) == 0
    assert "ok, 3 records chained" in capsys.readouterr().out
    out = tmp_path / "export.jsonl"
    assert main(["journal", "export", "--db", str(db), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["data"]["value"]["minor"] for r in rows] == [100, 200, 300]
    assert main(["journal", "export", "--db", str(db)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_journal_verify_names_the_tampered_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = journal_file(tmp_path)
    raw = sqlite3.connect(db)
    raw.execute("DROP TRIGGER journal_no_update")
    raw.execute(
        """UPDATE journal SET data = '{"value":{"currency":"CNY","minor":900}}' WHERE seq = 2"""
    )
    raw.commit()
    raw.close()
    assert main(["journal", "verify", "--db", str(db)]) == 1
    assert "BROKEN at record 2 (note_stacked)" in capsys.readouterr().err


def test_journal_verify_without_a_journal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["journal", "verify", "--db", str(tmp_path / "absent.db")]) == 2
    assert "no journal here" in capsys.readouterr().err


def test_journal_that_is_not_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "journal.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    assert main(["journal", "verify", "--db", str(bad)]) == 1
    assert "cannot open the journal" in capsys.readouterr().err


def test_journal_recover(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = journal_file(tmp_path)
    assert main(["journal", "recover", "--db", str(db)]) == 0
    # notes with no service or account: paid out as a voucher
    assert "1 sessions checked, 1 settled, 1 vouchers" in capsys.readouterr().out


def test_bad_arguments_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert sim_main(["card", "insert", "nothing"]) == 2
    assert central_main(["publish"]) == 2
    err = capsys.readouterr().err
    assert "FILE.toml and --group, --percent or --kiosk" in err
    assert "no card 'nothing'" in err


def test_demo_runs_the_flow_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert dev_main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "journal verify: ok" in text
    assert "recovery checked" in text and "credit_settled" in text
    # receipts, the parking voucher and a reprint, printed through the simulated printer
    # then the kiosk with its screens: cash, QR, and (with pcscd) bank card and account card
    cards = not missing_parts()
    pngs = sorted(p.name for p in (out / "receipts").iterdir())
    assert pngs == [f"printed-{n:03d}.png" for n in range(1, 12 if cards else 10)]
    if cards:
        assert "paid ¥70.00 by card" in text
        assert "¥100 of units bought and written to the account card" in text
    assert (out / "simulators.png").exists()
    assert "the screen offers the e-receipt https://pay.demo-city.cn/r/" in text
    assert "simulator on /dev/pts/" in text  # notes went through the real ID-003 driver
    with Journal(out / "journal.db") as journal:
        assert journal.verify().ok
        assert journal.outbox_count() == 7
        assert len(journal.latest(["receipt_failed"], limit=5)) == 1
        credits = [r.data.get("credit_id") for r in journal.records() if r.kind == "note_stacked"]
    assert sum(1 for c in credits if str(c).startswith("id003-")) == 3
    # with the local central server: enrolled, paid by WeChat Pay and Alipay through their
    # simulators, uploaded, new fees in ≤ 5 s
    assert "enrolled as K-DEMO-1" in text and "uploaded 2 transactions, 0 waiting" in text
    assert "central server part: ok" in text and "swapped in" in text
    with Journal(out / "central" / "online-journal.db") as online:
        paid = online.latest(["payment_completed"], limit=5)
        assert [p.data["method"] for p in paid] == ["alipay", "wechat"]
        assert online.outbox_counts()["pending"] == 0


def test_installed_script_exit_code(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("kiosk")
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    bad = tmp_path / "bad.toml"
    bad.write_text("[timeouts]\ndone = -1\n", encoding="utf-8")
    result = subprocess.run(
        [str(script), "config", "check", str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "timeouts.done: Input should be greater than 0" in result.stderr


def test_readme_diagram_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/flow.dot (rendered to docs/flow.svg by `make flow-diagram`) matches the code."""
    main(["flow", "--dot"])
    committed = Path(__file__).parents[2] / "docs" / "flow.dot"
    assert committed.read_text(encoding="utf-8") == capsys.readouterr().out
