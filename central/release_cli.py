"""``kiosk-central release``: software releases for the kiosks, gray by target.

    kiosk-central release publish FILE.deb (--percent P | --group G | --kiosk ID ...)
                                  [--min-from V] [--expires-days N] [--rollback] [--key FILE]
    kiosk-central release status      each release's rollout: targeted, by state, pending
    kiosk-central release withdraw VERSION

The version is the package's own (``dpkg-deb --field``); the document is
signed with the operator's key, checked as a kiosk checks it, and stored
with the package. Widening a rollout is publishing the next version to more
of the fleet; the percent slots are the bundles' (a kiosk in the first 10 %
stays in at 50 %).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine

from central import releases
from config import bundle, release
from config.release import ReleaseError


def parser(default_db: str, default_key: str) -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(prog="kiosk-central release", description=__doc__,
                                    formatter_class=argparse.RawTextHelpFormatter)  # fmt: skip
    found.add_argument("action", choices=["publish", "status", "withdraw"])
    found.add_argument("arg", nargs="?", help="publish: the .deb; withdraw: the version")
    found.add_argument("--db", default=default_db)
    found.add_argument("--key", default=default_key, help="the operator's private key file")
    target = found.add_mutually_exclusive_group()
    target.add_argument("--percent", type=int, help="to this share of the fleet (1–100)")
    target.add_argument("--group", help="to the kiosks of this group")
    target.add_argument("--kiosk", action="append", help="to this kiosk (repeatable)")
    found.add_argument("--min-from", help="the oldest version it upgrades (default: 0.0.0)")
    found.add_argument("--expires-days", type=int, default=30)
    found.add_argument(
        "--rollback", action="store_true",
        help="a downgrade, signed as one: kiosks on a newer version take it",
    )  # fmt: skip
    return found


def package_field(deb: Path, field: str) -> str:
    """A field of the package's control file."""
    done = subprocess.run(["dpkg-deb", "--field", str(deb), field],  # noqa: S603, S607
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise ReleaseError(f"{deb}: not a Debian package: {done.stderr.strip()}")
    return done.stdout.strip()


def document_for(deb: Path, args: argparse.Namespace) -> dict[str, Any]:
    if package_field(deb, "Package") != "kiosk":
        raise ReleaseError(f"{deb}: not the kiosk's package")
    version = package_field(deb, "Version")
    digest = hashlib.sha256()
    with deb.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    package = {"file": deb.name, "sha256": digest.hexdigest(), "size": deb.stat().st_size}
    target: dict[str, Any] = (
        {"group": args.group} if args.group
        else {"percent": args.percent} if args.percent is not None else {"kiosks": args.kiosk}
    )  # fmt: skip
    signed = release.signed_document(
        version, package, min_from=args.min_from or "0.0.0",
        expires=datetime.now(UTC) + timedelta(days=args.expires_days), target=target,
        rollback=args.rollback,
    )  # fmt: skip
    return bundle.sign(signed, Path(args.key).read_text().strip())


def run(args: argparse.Namespace, engine: Engine, out: IO[str]) -> int:
    if args.action == "status":
        status(engine, out)
        return 0
    if args.action == "withdraw":
        if not args.arg or not releases.withdraw(engine, args.arg):
            sys.stderr.write(f"kiosk-central release withdraw: no release {args.arg}\n")
            return 1
        out.write(f"withdrew {args.arg}\n")
        return 0
    if not args.arg or not (args.group or args.percent is not None or args.kiosk):
        sys.stderr.write("kiosk-central release publish: FILE.deb and --percent, --group or "
                         "--kiosk\n")  # fmt: skip
        return 2
    try:
        deb = Path(args.arg)
        document = document_for(deb, args)
        public = bundle.public_key_of(Path(args.key).read_text().strip())
        published = releases.publish(engine, document, deb, public)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"kiosk-central release publish: {exc}\n")
        return 2
    out.write(f"published {published.version} ({published.size} bytes) to "
              f"{published.target}\n")  # fmt: skip
    return 0


def status(engine: Engine, out: IO[str]) -> None:
    out.write(f"{'version':<10} {'target':<22} {'targeted':>8} {'pending':>8}  by state\n")
    for r in releases.rollout(engine):
        target = ", ".join(f"{k} {v}" for k, v in r.target.items())
        states = "  ".join(f"{s} {r.states[s]}" for s in releases.STATES if s in r.states)
        out.write(f"{r.version:<10} {target:<22} {r.targeted:>8} {r.pending:>8}  "
                  f"{states or '-'}\n")  # fmt: skip
