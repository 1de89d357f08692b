"""``kiosk run``: the kiosk on its screen, until SIGTERM (systemd's stop)."""

from __future__ import annotations

import logging
import signal

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from config.settings import Settings
from ui.app import KioskUi

log = logging.getLogger(__name__)
EXIT_RESTART = 75  # EX_TEMPFAIL: the unit's Restart= brings the kiosk back


def run_kiosk(settings: Settings, *, windowed: bool = False) -> int:
    app = QApplication.instance() or QApplication(["kiosk"])
    assert isinstance(app, QApplication)

    def restart() -> None:  # the maintenance menu's: systemd starts the kiosk again
        ui.window.may_close = True
        app.exit(EXIT_RESTART)

    ui = KioskUi(settings, on_restart=restart)
    screen = QGuiApplication.primaryScreen().geometry()
    ui.window.use_size(screen.width(), screen.height())
    if windowed:
        ui.window.show()
    else:
        ui.window.lock_down(hide_cursor=True)
    ui.start()
    report = ui.app.recovery
    if report is not None and report.settled_sessions:
        log.warning(
            "recovery settled %d session(s) before the first customer", report.settled_sessions
        )

    def terminate(signum: int, frame: object) -> None:
        log.info("signal %d: stopping", signum)
        ui.window.may_close = True  # Qt 6's quit() first asks every window to close
        app.quit()

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    wake = QTimer()  # Python runs signal handlers only when the interpreter gets control
    wake.start(250)
    wake.timeout.connect(lambda: None)
    try:
        return int(app.exec())
    finally:
        ui.stop()
