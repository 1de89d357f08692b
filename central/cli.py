"""``kiosk-central``: the reference central server.

    kiosk-central serve [--db URL] [--host H] [--port P]
    kiosk-central enroll KIOSK_ID [--db URL]     prints a one-time enrollment code
    kiosk-central openapi                          prints the API document (JSON)

Still to come (the central-server issue is open): keygen, seed-demo, publish.
"""

from __future__ import annotations

import argparse
import json
import sys

DEFAULT_DB = "sqlite:///var/central.db"
LATER = ("keygen", "seed-demo", "publish")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-central", description=__doc__)
    parser.add_argument("command", nargs="?", default="serve",
                        choices=["serve", "enroll", "openapi", *LATER])  # fmt: skip
    parser.add_argument("kiosk", nargs="?", help="enroll: the kiosk's id")
    parser.add_argument("--db", default=DEFAULT_DB, help="SQLAlchemy URL (SQLite or PostgreSQL)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    if args.command in LATER:
        sys.stderr.write(f"kiosk-central {args.command}: not yet available\n")
        return 3
    from pathlib import Path  # noqa: PLC0415

    from central.app import create_app, new_enrollment_code  # noqa: PLC0415

    if args.db == DEFAULT_DB:
        Path("var").mkdir(exist_ok=True)
    app = create_app(args.db)
    if args.command == "openapi":
        sys.stdout.write(json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n")
        return 0
    if args.command == "enroll":
        if not args.kiosk:
            sys.stderr.write("kiosk-central enroll: say which kiosk (its id)\n")
            return 2
        sys.stdout.write(new_enrollment_code(app.state.engine, args.kiosk) + "\n")
        return 0
    import uvicorn  # noqa: PLC0415

    uvicorn.run(app, host=args.host, port=args.port)
    return 0
