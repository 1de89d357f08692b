"""``kiosk-dev``: the developer's commands.

    kiosk-dev [--config FILE] demo [--out DIR]
    kiosk-dev [--config FILE] gallery [--out DIR]
    kiosk-dev [--config FILE] maintenance-gallery [--out DIR]

Exit codes as ``kiosk``'s: 0 success, 1 a check failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from config.loader import ConfigError
from launcher.cli import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, settings_of


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-dev", description="The kiosk's developer tools")
    parser.add_argument("--config", type=Path, help="site settings (TOML) over the defaults")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="scripted customers on simulated devices (screenshots)")
    demo.add_argument("--out", type=Path, default=Path("var/demo"), help="demo output folder")
    gallery = sub.add_parser("gallery", help="every screen to PNG (zh/en, both orientations)")
    gallery.add_argument("--out", type=Path, default=Path("docs/gallery"))
    menu = sub.add_parser("maintenance-gallery", help="every maintenance page to PNG")
    menu.add_argument("--out", type=Path, default=Path("docs/maintenance"))
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        settings = settings_of(args.config)
        if args.command == "demo":
            from devtools.demo import run_demo
            from devtools.ui_demo import run_ui_demo

            code = run_demo(settings, args.out)
            print("\n== The kiosk with its screens (offscreen without a display) ==")
            return code or (EXIT_OK if run_ui_demo(settings, args.out) else EXIT_FAILED)
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # pictures, not windows
        if args.command == "gallery":
            from devtools.gallery import render_gallery

            written = render_gallery(settings, args.out)
            print(f"{len(written)} screens written to {args.out}")
            return EXIT_OK
        from devtools.maintenance_gallery import render

        pages = render(args.out)
        print(f"{len(pages)} menu pages written to {args.out}")
        return EXIT_OK
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
