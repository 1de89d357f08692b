"""UI figures, offscreen: cold start to the attract screen painted, next to a
bare PySide6 window in the same run; touch → next screen painted over every
screen; resident memory after 1,000 scripted sessions and its growth from
session 100 to 1,000.

    python bench/ui.py            (goals: ≤ 2.0× bare, p99 ≤ 16 ms, ≤ 150 MB, ≤ 2 MB)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE = """
import time; t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([]); w = QLabel("hello"); w.resize(1080, 1920); w.show(); w.repaint()
print(time.perf_counter() - t0)
"""
KIOSK = """
import time; t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
app = QApplication([])
from config.loader import load_settings
from kiosk.flow import State
from kiosk.flow.view import View
from kiosk.money import Language
from ui.i18n import Languages
from ui.screens.base import Context
from ui.window import KioskWindow
settings = load_settings(); languages = Languages()
ctx = Context(post=print, settings=lambda: settings, lang=lambda: languages.current)
w = KioskWindow(ctx, languages, Language.ZH); w.use_size(1080, 1920); w.show()
w.show_view(View(State.ATTRACT)); w.repaint()
print(time.perf_counter() - t0)
"""


def cold(script: str) -> float:
    """Seconds from the interpreter starting to the window painted (median of 5)."""
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    bare, kiosk = cold(BARE), cold(KIOSK)
    print(
        f"cold start to first paint: bare window {bare * 1000:.0f} ms, "
        f"kiosk attract screen {kiosk * 1000:.0f} ms, ratio {kiosk / bare:.2f}x (goal <= 2.0x)"
    )

    from PySide6.QtWidgets import QApplication

    from config.loader import load_settings
    from config.settings import PaymentMethod
    from kiosk.flow import PayFlow
    from kiosk.flow import commands as c
    from kiosk.flow import events as e
    from kiosk.money import Language, Money
    from ui.gallery import BILL, preview_window, sample_views

    app = QApplication.instance() or QApplication([])
    settings = load_settings()
    window = preview_window(settings, Language.ZH, (1080, 1920))
    views = [view for _, view in sample_views()]
    timings = []
    for _ in range(20):
        for view in views:
            started = time.perf_counter()
            window.show_view(view)
            window.repaint()  # painted now, not at the next event loop turn
            timings.append((time.perf_counter() - started) * 1000)
            app.processEvents()
    timings.sort()
    p50, p99 = timings[len(timings) // 2], timings[int(len(timings) * 0.99)]
    print(
        f"touch -> next screen painted, {len(timings)} transitions over {len(views)} screens: "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal p99 <= 16 ms)"
    )

    flow = PayFlow(settings)
    seen = 0

    def run(commands: list[c.Command]) -> None:
        nonlocal seen
        for command in commands:
            if isinstance(command, c.Show):
                window.show_view(command.view)
                seen += 1

    run(flow.start())
    marks = {}
    for session in range(1, 1001):
        for event in (
            e.StartPressed(),
            e.ServiceChosen("electricity"),
            e.AccountEntered("3301234567"),
            e.BillFound(BILL),
            e.AmountChosen(BILL.due),
            e.MethodChosen(PaymentMethod.CASH),
            e.NoteStacked(Money(30000)),
            e.ReceiptPrinted(),
            e.BackPressed(),
        ):
            run(flow.handle(event))
        app.processEvents()
        if session in (100, 1000):
            marks[session] = rss_mb()
    print(
        f"1,000 cash sessions ({seen} screens shown): RSS {marks[1000]:.1f} MB "
        f"(goal <= 150 MB), growth from session 100 to 1,000 {marks[1000] - marks[100]:+.2f} MB "
        f"(goal <= 2 MB)"
    )


if __name__ == "__main__":
    main()
