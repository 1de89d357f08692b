"""Pictures of the maintenance menu: every role's pages, in Chinese and
English, portrait and landscape, from a running kiosk (simulated devices).

``tour`` logs each role in through the PIN pad, opens each of its pages and
grabs the window; the collector also collects the cashbox (the report prints
on the simulated printer). ``make maintenance-gallery`` runs it on a fresh
kiosk with embedded defaults and writes docs/maintenance/; the demo runs it
on the demo kiosk after its customers.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from kiosk.flow import State
from kiosk.maintenance.roles import Role
from kiosk.money import Language
from ui.app import KioskUi
from ui.screens.maintenance.screen import MaintenanceScreen

DEMO_PINS = {Role.TECHNICIAN: "246810", Role.COLLECTOR: "135790", Role.ADMINISTRATOR: "975310"}
SIZES = ((1080, 1920), (1920, 1080))


def _pump(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return False


def _log_in(ui: KioskUi, role: Role) -> MaintenanceScreen | None:
    ui.window.open_pin()
    pin = ui.window.pin
    for digit in DEMO_PINS[role]:
        pin.keypad.press(digit)
    pin.keypad.enter()
    if not _pump(lambda: ui.window.view is not None and ui.window.view.state is State.MAINTENANCE):
        return None  # the caller grabs nothing for this role
    screen = ui.window.screen_for(State.MAINTENANCE)
    assert isinstance(screen, MaintenanceScreen)
    return screen


def tour(ui: KioskUi, out: Path, sizes: tuple[tuple[int, int], ...] = SIZES) -> list[Path]:
    """Grab every page of every role; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for role in (Role.TECHNICIAN, Role.COLLECTOR, Role.ADMINISTRATOR):
        screen = _log_in(ui, role)
        if screen is None:
            continue
        for lang in (Language.ZH, Language.EN):
            ui.languages.use(lang)
            for width, height in sizes:
                ui.window.use_size(width, height)
                screen.present(ui.window.view)  # type: ignore[arg-type]
                for page in screen.visible_pages():
                    screen.open(page)
                    _pump(lambda: False, 0.15)
                    layout = ui.window.layout()
                    if layout is not None:
                        layout.activate()
                    shape = "portrait" if height > width else "landscape"
                    name = f"{role.value}-{type(page).__name__.removesuffix('Page').lower()}"
                    path = out / f"{name}-{lang.value}-{shape}.png"
                    ui.window.grab().save(str(path))
                    written.append(path)
        if role is Role.COLLECTOR:
            collected: list[object] = []
            ui.app.maintenance.collect(None, Language.ZH, collected.append)
            _pump(partial(bool, collected))
        ui.languages.use(Language.ZH)
        ui.window.use_size(*sizes[0])
        ui.app.maintenance.leave()
        _pump(lambda: ui.window.view is not None and ui.window.view.state is State.ATTRACT)
    return written


def render(out: Path) -> list[Path]:
    """A fresh kiosk on the embedded defaults (simulated devices, not enrolled)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from config.loader import defaults, merge, validate

    QApplication.instance() or QApplication(["kiosk-maintenance-gallery"])
    with tempfile.TemporaryDirectory() as data:
        tree = merge(defaults(), {"paths": {"data_dir": data}, "card_reader": {"enabled": False}})
        ui = KioskUi(validate(tree))
        ui.window.use_size(*SIZES[0])
        ui.window.show()
        ui.start()
        try:
            _pump(lambda: ui.window.view is not None)
            _pump(lambda: "acceptor" in ui.app.health.snapshot())  # the acceptor is up
            return tour(ui, out)
        finally:
            ui.stop()
