"""``kiosk run``: the kiosk on its screen, until SIGTERM (systemd's stop).

First paint first: the window paints the attract screen from the settings as
read, before they are validated (pydantic) and before the app shell is
imported and started (the journal, recovery, the devices, the server's
services); the flow's own first screen then takes over. Settings that do not
validate end the kiosk after that paint with exit code 2 and the reason.
systemd hears of it through ``$NOTIFY_SOCKET``: ``STATUS=painted`` at the
first paint, ``READY=1`` once recovery ran, the flow shows its first screen
and the acceptor (if one is fitted) is ready for the first customer, and
``WATCHDOG=1`` from the Qt event loop while it turns (a frozen UI stops the
pings and the unit is restarted).
"""

from __future__ import annotations

import logging
import signal
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from config.choices import PaymentMethod
from config.loader import ConfigError
from kiosk.flow import State
from kiosk.flow.view import View
from kiosk.shell.systemd import notify, watchdog_interval_s
from ui.app import KioskUi

if TYPE_CHECKING:
    from config.loader import SettingsTree

log = logging.getLogger(__name__)
EXIT_RESTART = 75  # EX_TEMPFAIL: the unit's Restart= brings the kiosk back
EXIT_BAD_SETTINGS = 2  # as ``kiosk`` exits on any bad input
READY_WAIT_S = 30.0  # READY=1 at the latest this long after the start, acceptor or not


def run_kiosk(settings: SettingsTree, *, windowed: bool = False) -> int:
    app = QApplication.instance() or QApplication(["kiosk"])
    assert isinstance(app, QApplication)

    def restart() -> None:  # the maintenance menu's: systemd starts the kiosk again
        ui.window.may_close = True
        app.exit(EXIT_RESTART)

    ui = KioskUi(settings, on_restart=restart)
    screen = QGuiApplication.primaryScreen().geometry()
    ui.window.use_size(screen.width(), screen.height())
    ui.window.show_view(View(State.ATTRACT))  # until the flow's own first screen
    if windowed:
        ui.window.show()
    else:
        ui.window.lock_down(hide_cursor=True)
    ui.window.repaint()
    notify("STATUS=painted")
    log.info("first paint: the attract screen is on the screen")
    timers = _start_after_the_paint(ui)

    def terminate(signum: int, frame: object) -> None:
        log.info("signal %d: stopping", signum)
        notify("STOPPING=1")
        ui.window.may_close = True  # Qt 6's quit() first asks every window to close
        # Into the event loop: a SIGTERM before app.exec() has started (systemd
        # stopping a kiosk that is still starting) would otherwise be lost.
        QTimer.singleShot(0, app.quit)

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    wake = QTimer()  # Python runs signal handlers only when the interpreter gets control
    wake.start(250)
    wake.timeout.connect(lambda: None)
    try:
        return int(app.exec())
    finally:
        for timer in timers:
            timer.stop()
        ui.stop()


def _start_after_the_paint(ui: KioskUi) -> list[QTimer]:
    """Start the app shell on the event loop's next turn; then READY=1 and the
    watchdog's pings. The timers are the caller's to keep alive."""
    started_at = time.monotonic()
    ready = QTimer()
    ready.setInterval(50)

    def start() -> None:
        try:
            ui.settings()  # validated now, after the paint
        except ConfigError as exc:
            log.error("config error: %s", exc)
            ui.window.may_close = True
            QApplication.exit(EXIT_BAD_SETTINGS)
            return
        ui.start()
        report = ui.app.recovery
        if report is not None and report.settled_sessions:
            log.warning(
                "recovery settled %d session(s) before the first customer",
                report.settled_sessions,
            )
        ready.start()

    def check_ready() -> None:
        kiosk = ui.app
        runner = kiosk.runner
        acceptor_ready = kiosk.acceptor is None or (
            runner is not None and PaymentMethod.CASH in runner.flow.available_methods
        )
        late = time.monotonic() - started_at > READY_WAIT_S
        if (acceptor_ready and ui.window.view is not None) or late:
            ready.stop()
            status = "ready" if acceptor_ready else "ready without the bill acceptor"
            kiosk.ready()
            notify(f"READY=1\nSTATUS={status}")
            log.info("%s after %.2f s", status, time.monotonic() - started_at)

    ready.timeout.connect(check_ready)
    QTimer.singleShot(0, start)
    timers = [ready]
    interval = watchdog_interval_s()
    if interval is not None:
        watchdog = QTimer()
        watchdog.setInterval(max(int(interval * 1000), 100))
        watchdog.timeout.connect(lambda: notify("WATCHDOG=1"))
        watchdog.start()
        timers.append(watchdog)
    return timers
