"""``kiosk-central``: the reference central server.

    kiosk-central --version
    kiosk-central serve [--db URL] [--host H] [--port P] [--workers N] [--loop L] [--http H]
                        [--keep-alive S] [--backlog N] [--access-log] [--settings FILE] [--sandbox]
                        [--provider-sims]
    kiosk-central enroll KIOSK_ID [--group G]     prints a one-time enrollment code
    kiosk-central enroll-batch --count N --prefix P- [--group G]
                                                  N new kiosk ids and their codes, one
                                                  "ID CODE" a line, in one transaction
    kiosk-central keygen [--key FILE]             an Ed25519 key pair; prints the public key
    kiosk-central seed-demo                       accounts, bills and coupons for the demo city
    kiosk-central publish FILE.toml (--group G | --percent P | --kiosk ID ...)
                          [--key FILE] [--expires-days N]
                                                  signs and publishes a config bundle
    kiosk-central release publish FILE.deb (--percent P | --group G | --kiosk ID ...) …
                                                  signs and publishes a software release;
                                                  release status: its rollout
                                                  (kiosk-central release --help)
    kiosk-central openapi                         prints the API document (JSON)
    kiosk-central backup [--to DIR]               a checked dump of the database (pg_dump)
    kiosk-central restore FILE --replace          the dump back (every server stopped)
    kiosk-central reconcile --provider wechat|alipay --date D --settings FILE [--out DIR]
                                                  the day's statement against the orders
    kiosk-central void REFERENCE --auth-code CODE [--reason TEXT]
                                                  voids an approved card payment (same day)
    kiosk-central refund ORDER --amount FEN --by NAME --settings FILE [--reason TEXT]
                                                  gives part of a paid order back from the
                                                  account's credit, through its provider
    kiosk-central review flagged | limits KIOSK … | release TRANSACTION …
                                                  uploads the server would not believe
                                                  (kiosk-central review --help)
    kiosk-central books COMMAND …                 the books: trial-balance, statement,
                                                  kiosk-day, revenue, collections, count,
                                                  verify (kiosk-central books --help)

Every command takes --db URL (SQLite by default, PostgreSQL by URL).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sys
import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config import bundle
from config.loader import ConfigError, defaults, merge, validate
from config.version import version

if TYPE_CHECKING:
    from fastapi import FastAPI

DEFAULT_DB = "sqlite:///var/central.db"
DEFAULT_KEY = "var/operator.key"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk-central", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"kiosk-central {version()}")
    commands = [
        "serve", "enroll", "enroll-batch", "keygen", "seed-demo", "publish", "openapi",
        "reconcile", "void", "refund", "backup", "restore",
    ]  # fmt: skip
    parser.add_argument("command", nargs="?", default="serve", choices=commands)
    parser.add_argument(
        "arg", nargs="?",
        help="enroll: the kiosk's id; publish: the TOML file; void: the card payment's "
        "reference; restore: the dump",
    )  # fmt: skip
    parser.add_argument("--db", default=DEFAULT_DB, help="SQLAlchemy URL (SQLite or PostgreSQL)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--workers", type=int, default=1, help="serve: worker processes")
    parser.add_argument("--settings", help="serve: the server's settings (providers, sandbox)")
    parser.add_argument(
        "--loop", choices=["auto", "asyncio", "uvloop"], default="auto",
        help="serve: the event loop (auto: uvloop when installed)",
    )  # fmt: skip
    parser.add_argument(
        "--keep-alive", type=int, default=75,
        help="serve: seconds an idle kiosk connection is kept open (kiosks beat every 30 s)",
    )  # fmt: skip
    parser.add_argument(
        "--backlog", type=int, default=8192,
        help="serve: connections waiting to be accepted (the kernel caps it at somaxconn)",
    )  # fmt: skip
    parser.add_argument(
        "--access-log", action="store_true",
        help="serve: log every request (nginx in front logs them already; off: cheaper)",
    )  # fmt: skip
    parser.add_argument(
        "--http", choices=["auto", "h11", "httptools"], default="auto",
        help="serve: the HTTP/1.1 parser (auto: httptools when installed)",
    )  # fmt: skip
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="serve: mount the sandbox pay page (demos and tests only)",
    )
    parser.add_argument(
        "--provider-sims",
        action="store_true",
        help="serve: start the WeChat Pay simulator beside the server, with "
        "fresh test keys in var/provider-sims, and point the server at it",
    )
    parser.add_argument("--to", default="var/backups", help="backup: the folder")
    parser.add_argument("--replace", action="store_true",
                        help="restore: yes, replace the database's contents")  # fmt: skip
    parser.add_argument("--count", type=int, help="enroll-batch: how many kiosks")
    parser.add_argument("--prefix", help="enroll-batch: the kiosk ids' prefix, e.g. XH-")
    parser.add_argument("--key", default=DEFAULT_KEY, help="the operator's private key file")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--group", help="enroll: the kiosk's group; publish: to this group")
    target.add_argument("--percent", type=int, help="publish: to this share of the fleet (1–100)")
    target.add_argument("--kiosk", action="append", help="publish: to this kiosk (repeatable)")
    parser.add_argument("--expires-days", type=int, default=90)
    parser.add_argument(
        "--provider", choices=["wechat", "alipay"], help="reconcile: which provider"
    )
    parser.add_argument("--date", type=date.fromisoformat, help="reconcile: the day (CST)")
    parser.add_argument("--out", default="var/reconcile", help="reconcile: the report's folder")
    parser.add_argument("--auth-code", help="void: the payment's authorization code")
    parser.add_argument("--reason", default="operator", help="void, refund: why, for the record")
    parser.add_argument("--amount", type=int, help="refund: fen to give back")
    parser.add_argument("--by", help="refund: who asks (the operator's name)")
    return parser


def keygen(path: Path) -> str:
    if path.exists():
        raise FileExistsError(f"{path} exists; keys are not overwritten")
    private, public = bundle.new_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(private + "\n")
    return public


def make_bundle(
    source: Path, key: Path, version: int, target: dict[str, object], expires_days: int
) -> dict[str, object]:
    """Read and sign a bundle, then check it as a kiosk will: the bundle's own
    rules (``config.bundle.parse``: keys, target, size) and the settings schema."""
    config = tomllib.loads(source.read_text(encoding="utf-8"))
    signed = {
        "version": version,
        "expires": (datetime.now(UTC) + timedelta(days=expires_days)).isoformat(),
        "target": target,
        "config": config,
    }
    private = key.read_text().strip()
    document = bundle.sign(signed, private)
    bundle.parse(bundle.canonical(document), bundle.public_key_of(private))
    validate(merge(defaults(), config), str(source))
    return document


def _keygen(args: argparse.Namespace) -> int:
    try:
        sys.stdout.write(keygen(Path(args.key)) + "\n")
    except FileExistsError as exc:
        sys.stderr.write(f"kiosk-central keygen: {exc}\n")
        return 2
    return 0


def books(argv: list[str]) -> int:
    from central.app import create_app  # noqa: PLC0415
    from central.books import cli  # noqa: PLC0415

    args = cli.parser(DEFAULT_DB).parse_args(argv)
    if args.db == DEFAULT_DB:
        Path("var").mkdir(exist_ok=True)
    engine = create_app(args.db).state.engine
    try:
        with engine.begin() as conn:
            return cli.run(args, conn, sys.stdout)
    finally:
        engine.dispose()


def review(argv: list[str]) -> int:
    from central import review as run  # noqa: PLC0415
    from central.app import create_app  # noqa: PLC0415

    args = run.parser(DEFAULT_DB).parse_args(argv)
    if args.db == DEFAULT_DB:
        Path("var").mkdir(exist_ok=True)
    app = create_app(args.db)
    try:
        with app.state.engine.begin() as conn:
            return run.run(args, conn, app.state.sms, sys.stdout)
    finally:
        app.state.engine.dispose()


def release(argv: list[str]) -> int:
    from central import release_cli  # noqa: PLC0415
    from central.app import create_app  # noqa: PLC0415

    args = release_cli.parser(DEFAULT_DB, DEFAULT_KEY).parse_args(argv)
    if args.db == DEFAULT_DB:
        Path("var").mkdir(exist_ok=True)
    engine = create_app(args.db).state.engine
    try:
        return release_cli.run(args, engine, sys.stdout)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["release"]:
        return release(argv[1:])
    if argv[:1] == ["books"]:
        return books(argv[1:])
    if argv[:1] == ["review"]:
        return review(argv[1:])
    return _main(argv)


def _main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    alone = {"keygen": _keygen, "reconcile": reconcile, "void": void, "refund": refund,
             "enroll-batch": enroll_many, "backup": backup, "restore": restore}  # fmt: skip
    if args.command in alone:
        return alone[args.command](args)
    if args.command == "publish" and not (args.arg and (args.group or args.percent or args.kiosk)):
        sys.stderr.write("kiosk-central publish: FILE.toml and --group, --percent or --kiosk\n")
        return 2
    if args.command == "enroll" and not args.arg:
        sys.stderr.write("kiosk-central enroll: say which kiosk (its id)\n")
        return 2
    from central.app import create_app  # noqa: PLC0415
    from central.bundles import next_version, publish  # noqa: PLC0415
    from central.enrollment import new_enrollment_code  # noqa: PLC0415
    from central.seed import seed_demo  # noqa: PLC0415

    if args.db == DEFAULT_DB:
        Path("var").mkdir(exist_ok=True)
    app = create_app(args.db)
    engine = app.state.engine
    if args.command == "openapi":
        sys.stdout.write(json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n")
    elif args.command == "enroll":
        sys.stdout.write(new_enrollment_code(engine, args.arg, args.group or "default") + "\n")
    elif args.command == "seed-demo":
        count = seed_demo(engine, datetime.now(UTC).date())
        sys.stdout.write(f"seeded {count} demo accounts\n")
    elif args.command == "publish":
        target = (
            {"group": args.group} if args.group
            else {"percent": args.percent} if args.percent else {"kiosks": args.kiosk}
        )  # fmt: skip
        try:
            document = make_bundle(
                Path(args.arg), Path(args.key), next_version(engine), target, args.expires_days
            )
            version = publish(engine, document)
        except (OSError, ConfigError, ValueError, tomllib.TOMLDecodeError) as exc:
            sys.stderr.write(f"kiosk-central publish: {exc}\n")
            return 2
        sys.stdout.write(f"published bundle version {version} to {json.dumps(target)}\n")
    else:
        engine.dispose()
        return serve(args)
    engine.dispose()
    return 0


def backup(args: argparse.Namespace) -> int:
    """``backup``: a checked dump into --to (the newest of each of 14 days kept)."""
    from central import backup as dumps  # noqa: PLC0415

    try:
        made = dumps.take(args.db, Path(args.to), datetime.now(UTC))
    except (dumps.BadDump, FileNotFoundError) as exc:
        sys.stderr.write(f"kiosk-central backup: {exc}\n")
        return 1
    sys.stdout.write(f"{made} ({made.stat().st_size / 1e6:.1f} MB)\n")
    return 0


def restore(args: argparse.Namespace) -> int:
    """``restore FILE --replace``: the dump into --db, the servers stopped first."""
    from central import backup as dumps  # noqa: PLC0415

    if not args.arg or not args.replace:
        sys.stderr.write("kiosk-central restore: FILE and --replace (stop every server first: "
                         "the database's contents are replaced)\n")  # fmt: skip
        return 2
    try:
        dumps.restore(args.db, Path(args.arg))
    except (dumps.BadDump, FileNotFoundError) as exc:
        sys.stderr.write(f"kiosk-central restore: {exc}\n")
        return 1
    sys.stdout.write(f"restored {args.arg} into the database\n")
    return 0


def enroll_many(args: argparse.Namespace) -> int:
    """``enroll-batch``: one "KIOSK_ID CODE" line a kiosk, all stored at once."""
    if args.count is None or not args.prefix:
        sys.stderr.write("kiosk-central enroll-batch: --count N and --prefix P-\n")
        return 2
    from central.db import make_engine  # noqa: PLC0415
    from central.enrollment import enroll_batch  # noqa: PLC0415

    if args.db == DEFAULT_DB:
        Path("var").mkdir(exist_ok=True)
    engine = make_engine(args.db)
    try:
        made = enroll_batch(engine, args.count, args.prefix, args.group or "default")
    except ValueError as exc:
        sys.stderr.write(f"kiosk-central enroll-batch: {exc}\n")
        return 2
    finally:
        engine.dispose()
    sys.stdout.write("".join(f"{kiosk} {code}\n" for kiosk, code in made))
    return 0


def void(args: argparse.Namespace) -> int:
    """Exit 0: voided (or it was already); 1: refused, with the reason; 2: usage."""
    from central import refunds  # noqa: PLC0415
    from central.app import create_app  # noqa: PLC0415

    if not (args.arg and args.auth_code):
        sys.stderr.write("kiosk-central void: REFERENCE and --auth-code\n")
        return 2
    engine = create_app(args.db).state.engine
    try:
        with engine.begin() as conn:
            done = refunds.void_card(conn, args.arg, args.auth_code, args.reason)
    except (refunds.UnknownReference, refunds.NothingToRefund) as exc:
        sys.stderr.write(f"kiosk-central void: {exc}\n")
        return 1
    finally:
        engine.dispose()
    sys.stdout.write(f"{done.reference}: {done.status} ({done.amount_fen} fen)\n")
    return 0


def _app_with_settings(command: str, args: argparse.Namespace) -> FastAPI | None:
    """The server's app with its providers from ``--settings``, or None (and
    why, on stderr) when the settings cannot be read."""
    from central.app import create_app  # noqa: PLC0415
    from central.settings import SettingsError, load  # noqa: PLC0415

    try:
        return create_app(args.db, settings=load(Path(args.settings)))
    except (SettingsError, ValueError, OSError) as exc:
        sys.stderr.write(f"kiosk-central {command}: {exc}\n")
        return None


def refund(args: argparse.Namespace) -> int:
    """Exit 0: done at the provider; 3: recorded, the provider not done yet (the
    order worker follows it); 1: refused; 2: usage."""
    from central import part_refunds  # noqa: PLC0415

    if not (args.arg and args.amount and args.by and args.settings):
        sys.stderr.write("kiosk-central refund: ORDER, --amount, --by and --settings\n")
        return 2
    app = _app_with_settings("refund", args)
    if app is None:
        return 2
    engine = app.state.engine
    try:
        with engine.begin() as conn:
            asked = part_refunds.ask(conn, args.arg, args.amount, args.reason, args.by)
        provider = app.state.providers.get(asked.provider)
        status = "requested" if provider is None else part_refunds.carry_out(
            engine, provider, asked.refund_id
        )  # fmt: skip
    except part_refunds.Refused as exc:
        sys.stderr.write(f"kiosk-central refund: {exc}\n")
        return 1
    finally:
        engine.dispose()
    sys.stdout.write(f"{asked.refund_id}: {asked.amount_fen} fen of {args.arg}, {status}\n")
    return 0 if status == "done" else 3


def reconcile(args: argparse.Namespace) -> int:
    """Exit 0: every difference fixed (or none); 1: some need a person; 2: usage."""
    from central.providers.base import ProviderError  # noqa: PLC0415
    from central.reconcile import reconcile as run  # noqa: PLC0415
    from central.reconcile import write_report  # noqa: PLC0415

    if not (args.provider and args.date and args.settings):
        sys.stderr.write("kiosk-central reconcile: --provider, --date and --settings\n")
        return 2
    app = _app_with_settings("reconcile", args)
    if app is None:
        return 2
    provider = app.state.providers.get(args.provider)
    if provider is None:
        sys.stderr.write(f"kiosk-central reconcile: no [providers.{args.provider}] set up\n")
        return 2
    try:
        found = run(app.state.engine, provider, args.date)
    except ProviderError as exc:
        sys.stderr.write(f"kiosk-central reconcile: the statement: {exc}\n")
        return 2
    finally:
        app.state.engine.dispose()
    path = Path(args.out) / f"{args.provider}-{args.date.isoformat()}.csv"
    lines = write_report(found, path)
    sys.stdout.write(f"{args.provider} {args.date}: {len(found)} differences, report {path}\n")
    sys.stdout.write("".join(f"  {line}\n" for line in lines))
    return 1 if any(d.needs_a_person for d in found) else 0


def serve(args: argparse.Namespace) -> int:
    """The server, with its settings file, the sandbox, or the provider simulators."""
    import uvicorn  # noqa: PLC0415

    from central.app import create_app  # noqa: PLC0415
    from central.providersim.run import beside  # noqa: PLC0415
    from central.settings import CentralSettings, SettingsError, load  # noqa: PLC0415

    with contextlib.ExitStack() as stack:
        settings_file = args.settings
        if args.provider_sims:
            here = f"http://{args.host}:{args.port}"
            settings_file = str(stack.enter_context(beside(Path("var/provider-sims"), here)))
            sys.stdout.write(f"provider simulators: settings in {settings_file}\n")
        try:
            settings = load(Path(settings_file)) if settings_file else CentralSettings()
        except SettingsError as exc:
            sys.stderr.write(f"kiosk-central serve: {exc}\n")
            return 2
        if args.sandbox:
            settings = replace(settings, sandbox=True)
        if args.workers > 1:  # each worker process builds its own app from the URL
            os.environ["KIOSK_CENTRAL_DB"] = args.db
            if settings_file:
                os.environ["KIOSK_CENTRAL_SETTINGS"] = settings_file
            if args.sandbox:
                os.environ["KIOSK_CENTRAL_SANDBOX"] = "1"
            uvicorn.run("central.app:app_from_environment", factory=True,
                        workers=args.workers, **_stack(args))  # fmt: skip
            return 0
        try:
            app = create_app(args.db, settings=settings, tune_gc=True)
        except ValueError as exc:  # a key file others may read, a key that is not one
            sys.stderr.write(f"kiosk-central serve: {exc}\n")
            return 2
        uvicorn.run(app, **_stack(args))
    return 0


GRACE_S = 5  # SIGTERM: requests in flight get this long; held long-polls are cut (kiosks re-ask)


def _stack(args: argparse.Namespace) -> dict[str, Any]:
    """uvicorn's settings from the command line; the process may hold as many
    open files (connections) as its hard limit allows (a unit's LimitNOFILE)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sys.stderr.write(f"kiosk-central serve: up to {hard} open files (connections)\n")
    return {"host": args.host, "port": args.port, "loop": args.loop, "http": args.http,
            "access_log": args.access_log, "timeout_keep_alive": args.keep_alive,
            "backlog": args.backlog, "timeout_graceful_shutdown": GRACE_S}  # fmt: skip
