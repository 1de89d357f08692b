"""``kiosk journal``, ``kiosk backup`` and ``kiosk restore``: the journal's
commands (checking, exporting, archiving, copying and putting a copy back)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from launcher.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, settings_of

if TYPE_CHECKING:
    from config.settings import Settings
    from offline_queue.backup import Held
    from offline_queue.journal import Journal


def journal(args: argparse.Namespace) -> int:
    from kiosk.recovery import recover
    from offline_queue.journal import Journal, JournalError

    settings = settings_of(args.config)
    db = args.db or Path(settings.paths.data_dir) / "journal.db"
    if args.action != "recover" and not db.exists():
        print(f"{db}: no journal here", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        journal = Journal(db)
    except JournalError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED
    with journal:
        if args.action == "verify":
            return _verify(journal, db, Path(settings.paths.archives))
        if args.action == "archive":
            return _archive(journal, settings, months=settings.journal.archive_after_months)
        elif args.action == "export":
            if args.out:
                with args.out.open("w", encoding="utf-8") as fh:
                    count = journal.export(fh)
                print(f"{args.out}: {count} records", file=sys.stderr)
            else:
                journal.export(sys.stdout)
        else:
            report = recover(journal)
            print(
                f"{db}: {report.sessions_checked} sessions checked, "
                f"{report.settled_sessions} settled, {len(report.vouchers)} vouchers"
            )
    return EXIT_OK


def _verify(journal: Journal, db: Path, archives: Path) -> int:
    """The live chain from its anchor, then each archive against its anchor."""
    from offline_queue import archive

    verdict = journal.verify()
    if not verdict.ok:
        print(f"{db}: BROKEN at {verdict.reason}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{db}: ok, {verdict.records} records chained")
    failed = False
    for found in archive.check(journal, archives):
        a = found.anchor
        line = f"{archives / a.file}: records {a.first_seq}-{a.last_seq}"
        if found.state == "ok":
            print(f"{line}: ok, {a.records} records chained")
        elif found.state == "absent":
            print(f"{line}: not on this kiosk (moved off it?); its anchor is kept")
        else:
            print(f"{line}: BAD: {found.reason}", file=sys.stderr)
            failed = True
    return EXIT_FAILED if failed else EXIT_OK


def _archive(journal: Journal, settings: Settings, *, months: int) -> int:
    """Records older than ``months`` whose transactions the server confirmed,
    out of the live journal into a compressed file."""
    from datetime import UTC, datetime

    from kiosk.ledger import archive_floor
    from offline_queue import archive

    if months == 0:
        print("journal.archive_after_months is 0: nothing is archived")
        return EXIT_OK
    now = datetime.now(UTC)
    folder = Path(settings.paths.archives)
    try:
        anchor = archive.take(journal, folder, before=archive.horizon(now, months),
                              keep_from=archive_floor(journal), now=now)  # fmt: skip
    except (archive.ArchiveError, OSError) as exc:
        print(f"archive refused: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if anchor is None:
        print(f"nothing older than {months} months may leave the journal yet")
    else:
        size = (folder / anchor.file).stat().st_size
        print(f"{folder / anchor.file}: records {anchor.first_seq}-{anchor.last_seq} "
              f"({anchor.records} records, {anchor.transactions} transactions), "
              f"{size / 1024:.0f} KiB")  # fmt: skip
    return EXIT_OK


def backup(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from offline_queue import backup
    from offline_queue.journal import Journal, JournalError

    settings = settings_of(args.config)
    paths = settings.paths
    db = args.db or Path(paths.data_dir) / "journal.db"
    try:
        copy = backup.take(db, args.to or Path(paths.backups), datetime.now(UTC))
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except backup.BadCopy as exc:
        print(f"backup refused: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{copy.path}: {copy.records} records chained, {copy.size / 1024:.0f} KiB")
    if args.no_archive:
        return EXIT_OK
    try:  # after the checked copy: what is archived is in that copy too
        with Journal(db) as journal:
            return _archive(journal, settings, months=settings.journal.archive_after_months)
    except JournalError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED


def restore(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from offline_queue import backup

    settings = settings_of(args.config)
    if _kiosk_running():
        print("kiosk restore: the kiosk is running: systemctl stop kiosk first", file=sys.stderr)
        return EXIT_FAILED
    db = args.db or Path(settings.paths.data_dir) / "journal.db"
    try:
        held = None if args.without_server else _held(settings)
        kept = backup.restore(args.file, db, held, datetime.now(UTC))
    except backup.BadCopy as exc:
        print(f"kiosk restore: refused: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # the server could not be asked, or a file is missing
        print(f"kiosk restore: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{db}: restored from {args.file}; the journal it replaced is {kept}")
    return EXIT_OK


def _kiosk_running() -> bool:
    """kiosk.service active (only where systemd runs)."""
    import shutil
    import subprocess

    if not Path("/run/systemd/system").exists() or shutil.which("systemctl") is None:
        return False
    active = subprocess.run(["systemctl", "is-active", "--quiet", "kiosk.service"], check=False)  # noqa: S607
    return active.returncode == 0


def _held(settings: Settings) -> Held | None:
    """What the central server holds of this kiosk's uploads; None when the kiosk
    was never enrolled (nothing there). OSError when it cannot be asked."""
    import requests

    from kiosk.shell.central import load_credentials
    from offline_queue import http
    from offline_queue.backup import Held

    section = settings.central
    credentials = load_credentials(Path(settings.paths.data_dir) / section.credentials_file)
    if credentials is None:
        return None
    session = http.session(section.verify, credentials.token)
    try:
        answer = session.get(f"{section.url.rstrip('/')}/api/v1/transactions/latest",
                             timeout=section.timeout_s)  # fmt: skip
        answer.raise_for_status()
        data = answer.json()
        return Held(int(data["count"]), data["newest"])
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        raise OSError(f"the central server cannot be asked what it holds ({type(exc).__name__}); "
                      "--without-server restores anyway") from None  # fmt: skip
    finally:
        session.close()
