"""``kiosk``: the kiosk's command line.

    kiosk [--config FILE] config check FILE
    kiosk --version
    kiosk flow --dot
    kiosk [--config FILE] journal verify|export|recover [--db PATH]
    kiosk [--config FILE] receipt sample --lang zh|en [--paper 58|80]
    kiosk [--config FILE] receipt reprint TRANSACTION
    kiosk [--config FILE] backup [--db PATH] [--to DIR]
    kiosk [--config FILE] restore FILE [--db PATH] [--without-server]
    kiosk [--config FILE] run [--windowed]

The developer's commands (the demo, the screen galleries) are ``kiosk-dev``
(``devtools/``), which a kiosk in the field does not need.

Exit codes: 0 success, 1 a check failed (a broken journal), 2 bad input (a bad
config file, a bad argument), 3 a feature that has not landed yet.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from config.loader import ConfigError, SettingsTree, kiosk_tree, load_settings
from config.version import version

if TYPE_CHECKING:
    from config.settings import Settings
    from offline_queue.backup import Held

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NOT_AVAILABLE = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Self-service payment kiosk")
    parser.add_argument("--version", action="version", version=f"kiosk {version()}")
    parser.add_argument("--config", type=Path, help="site settings (TOML) over the defaults")
    sub = parser.add_subparsers(dest="command", required=True)

    config = sub.add_parser("config", help="settings").add_subparsers(dest="action", required=True)
    check = config.add_parser("check", help="validate a settings file")
    check.add_argument("file", type=Path)

    flow = sub.add_parser("flow", help="the pay flow")
    flow.add_argument("--dot", action="store_true", help="print the state diagram (Graphviz)")

    journal = sub.add_parser("journal", help="the durable journal")
    journal.add_argument("action", choices=["verify", "export", "recover"])
    journal.add_argument("--db", type=Path, help="journal file (default: data_dir/journal.db)")
    journal.add_argument("--out", type=Path, help="export: write here instead of stdout")

    receipt = sub.add_parser("receipt", help="receipts").add_subparsers(
        dest="action", required=True
    )
    sample = receipt.add_parser("sample", help="print a sample receipt to the configured printer")
    sample.add_argument("--lang", choices=["zh", "en"], default="zh")
    sample.add_argument("--paper", type=int, choices=[58, 80], help="override printer.paper_mm")
    sample.add_argument("--out", type=Path, default=Path("var/receipts"),
                        help="where the simulated printer writes its PNGs")  # fmt: skip
    reprint = receipt.add_parser("reprint", help="print a payment's receipt again")
    reprint.add_argument("transaction")
    reprint.add_argument("--lang", choices=["zh", "en"], default="zh")
    reprint.add_argument("--db", type=Path, help="journal file (default: data_dir/journal.db)")
    reprint.add_argument("--out", type=Path, default=Path("var/receipts"))

    backup = sub.add_parser("backup", help="a checked copy of the journal (daily, by a timer)")
    backup.add_argument("--db", type=Path, help="journal file (default: data_dir/journal.db)")
    backup.add_argument("--to", type=Path, help="folder (default: paths.backup_dir)")

    restore = sub.add_parser("restore", help="a backup copy back in place of the journal")
    restore.add_argument("file", type=Path, help="the copy (kiosk backup's)")
    restore.add_argument("--db", type=Path, help="journal file (default: data_dir/journal.db)")
    restore.add_argument("--without-server", action="store_true",
                         help="restore without asking the central server")  # fmt: skip

    run = sub.add_parser("run", help="the fullscreen touch UI")
    run.add_argument("--windowed", action="store_true", help="a normal window (development)")
    return parser


def settings_tree(path: Path | None) -> SettingsTree:
    """The kiosk's settings, read: defaults, the site's file, the maintenance menu's changes."""
    return SettingsTree(kiosk_tree(path), str(path) if path else "embedded defaults")


def settings_of(path: Path | None) -> Settings:
    """The same, validated."""
    return settings_tree(path).validated()


def _config_check(path: Path) -> int:
    settings = load_settings(path)
    print(
        f"{path}: ok — kiosk {settings.kiosk.id}, "
        f"{len(settings.services)} services, {len(settings.tariffs)} tariffs"
    )
    return EXIT_OK


def _flow(args: argparse.Namespace) -> int:
    if not args.dot:
        print("kiosk flow: say what to print (--dot)", file=sys.stderr)
        return EXIT_BAD_INPUT
    from kiosk.flow.transitions import to_dot

    sys.stdout.write(to_dot())
    return EXIT_OK


def _journal(args: argparse.Namespace) -> int:
    from kiosk.recovery import recover
    from offline_queue.journal import Journal, JournalError

    db = args.db or Path(settings_of(args.config).paths.data_dir) / "journal.db"
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
            verdict = journal.verify()
            if not verdict.ok:
                print(f"{db}: BROKEN at {verdict.reason}", file=sys.stderr)
                return EXIT_FAILED
            print(f"{db}: ok, {verdict.records} records chained")
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


def _backup(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from offline_queue import backup

    paths = settings_of(args.config).paths
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
    return EXIT_OK


def _restore(args: argparse.Namespace) -> int:
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


def _receipt(args: argparse.Namespace) -> int:
    from kiosk.money import Language
    from kiosk.receipt import receipt, sample_payment
    from kiosk.shell.printing import build_printer, print_payment
    from offline_queue.journal import Journal

    settings = settings_of(args.config)
    section = settings.printer
    if getattr(args, "paper", None):
        section = section.model_copy(update={"paper_mm": args.paper})
    printing = build_printer(section, args.out)
    lang = Language(args.lang)
    try:
        if args.action == "sample":
            data, at, transaction = sample_payment()
            result = printing.printer.print(receipt(settings, data, at, transaction, lang))
        else:
            db = args.db or Path(settings.paths.data_dir) / "journal.db"
            with Journal(db) as journal:
                found = print_payment(printing.printer, journal, settings, args.transaction, lang)
            if found is None:
                print(f"no payment {args.transaction} in {db}", file=sys.stderr)
                return EXIT_BAD_INPUT
            result = found
    finally:
        printing.stop()
    if not result.printed:
        print(f"not printed: {result.error}", file=sys.stderr)
        return EXIT_FAILED
    where = f" (PNG in {args.out})" if section.connection == "sim" else ""
    print(f"printed, printer {result.after.value if result.after else 'ok'}{where}")
    return EXIT_OK


COMMANDS = {
    "backup": _backup,
    "restore": _restore,
    "config": lambda args: _config_check(args.file),
    "flow": _flow,
    "journal": _journal,
    "receipt": _receipt,
}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        if args.command in COMMANDS:
            return int(COMMANDS[args.command](args))
        from ui.run import run_kiosk

        return run_kiosk(settings_tree(args.config), windowed=args.windowed)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
