"""``kiosk-dev``: the developer's commands.

    kiosk-dev [--config FILE] demo [--out DIR] [--panel WxH] [--ui-only]
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
from launcher.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, settings_of


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-dev", description="The kiosk's developer tools")
    parser.add_argument("--config", type=Path, help="site settings (TOML) over the defaults")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="scripted customers on simulated devices (screenshots)")
    demo.add_argument("--out", type=Path, default=Path("var/demo"), help="demo output folder")
    demo.add_argument("--panel", type=_size, default=(1080, 1920),
                      help="the kiosk's panel, WIDTHxHEIGHT (1920x1080: landscape)")  # fmt: skip
    demo.add_argument("--ui-only", action="store_true", help="only the kiosk with its screens")
    gallery = sub.add_parser("gallery", help="every screen to PNG (zh/en, both orientations)")
    gallery.add_argument("--out", type=Path, default=Path("docs/gallery"))
    menu = sub.add_parser("maintenance-gallery", help="every maintenance page to PNG")
    menu.add_argument("--out", type=Path, default=Path("docs/maintenance"))
    return parser


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not WIDTHxHEIGHT: {text!r}") from None
    if not (320 <= width <= 7680 and 320 <= height <= 7680):
        raise argparse.ArgumentTypeError(f"not a panel size: {text!r}")
    return width, height


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        settings = settings_of(args.config)
        if args.command == "demo":
            from devtools.demo import run_demo
            from devtools.ui_demo import run_ui_demo

            code = EXIT_OK if args.ui_only else run_demo(settings, args.out)
            print("\n== The kiosk with its screens (on the desktop, or offscreen without one) ==")
            ok = code == EXIT_OK and run_ui_demo(settings, args.out, args.panel)
            return code or (EXIT_OK if ok else EXIT_FAILED)
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
