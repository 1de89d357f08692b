"""``kiosk``: the kiosk's command line.

    kiosk [--config FILE] config check FILE
    kiosk --version
    kiosk flow --dot
    kiosk [--config FILE] journal verify|export|recover|archive [--db PATH]
    kiosk [--config FILE] receipt sample --lang zh|en [--paper 58|80]
    kiosk [--config FILE] receipt reprint TRANSACTION
    kiosk [--config FILE] backup [--db PATH] [--to DIR]
    kiosk [--config FILE] restore FILE [--db PATH] [--without-server]
    kiosk [--config FILE] update check|start|status [--root DIR] [--state DIR]
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

from config.loader import ConfigError, load_settings
from config.version import version
from launcher import journal_cli
from launcher.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, settings_of, settings_tree


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
    journal.add_argument("action", choices=["verify", "export", "recover", "archive"])
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
    backup.add_argument("--no-archive", action="store_true",
                        help="copy only; do not archive old records after the copy")  # fmt: skip

    restore = sub.add_parser("restore", help="a backup copy back in place of the journal")
    restore.add_argument("file", type=Path, help="the copy (kiosk backup's)")
    restore.add_argument("--db", type=Path, help="journal file (default: data_dir/journal.db)")
    restore.add_argument("--without-server", action="store_true",
                         help="restore without asking the central server")  # fmt: skip

    update = sub.add_parser("update", help="software updates (gray release, health gate)")
    update.add_argument("action", choices=["check", "start", "status"])
    update.add_argument("--root", type=Path, default=Path("/opt/kiosk"), help="the install root")
    update.add_argument("--state", type=Path, help="state folder (default: data_dir/update)")

    run = sub.add_parser("run", help="the fullscreen touch UI")
    run.add_argument("--windowed", action="store_true", help="a normal window (development)")
    return parser


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


def _update(args: argparse.Namespace) -> int:
    from launcher import update_cli  # the updater's modules load only for it

    return update_cli.update(args)


COMMANDS = {
    "backup": journal_cli.backup,
    "restore": journal_cli.restore,
    "config": lambda args: _config_check(args.file),
    "flow": _flow,
    "journal": journal_cli.journal,
    "receipt": _receipt,
    "update": _update,
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
