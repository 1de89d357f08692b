"""The kiosk with its screens: the app shell run on the Qt main thread.

``KioskUi`` makes the bridge, the app shell (devices, journal, sync, flow)
and the window, and gives the screens their helpers: the account's orders
from the server, its payments from the journal, a receipt reprint, a receipt
by SMS. Helpers that wait on the network or the printer run on a short-lived
thread and answer through the bridge, never blocking the screen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.first_look import FirstLook
from config.loader import SettingsTree, local_changes, merge, validate
from kiosk.flow.view import View
from kiosk.money import Language
from kiosk.shell.offthread import Failed, run_off_thread
from ui.bridge import Bridge
from ui.i18n import Languages
from ui.screens.base import Context, Order
from ui.window import KioskWindow

if TYPE_CHECKING:
    from config.settings import Settings
    from kiosk.app import KioskApp
    from kiosk.ledger import Payment
    from kiosk.maintenance.pins import LockState
    from kiosk.maintenance.service import PinResult
    from ui.screens.maintenance.tools import Tools


class KioskUi:
    def __init__(
        self,
        settings: Settings | SettingsTree,
        *,
        receipts_png: Path | None = None,
        time_scale: float = 1.0,
        on_restart: Callable[[], object] | None = None,
    ) -> None:
        self.bridge = Bridge()
        self.languages = Languages()
        self._receipts_png = receipts_png
        self._time_scale = time_scale
        # The maintenance menu's restart: the entry point's (``kiosk run`` exits
        # for systemd), else a new app in this process on the settings reloaded.
        self._on_restart = on_restart
        self.restarts = 0
        # Read but not yet validated (``kiosk run``: validated after the first paint),
        # or validated by the caller.
        self._start = settings if isinstance(settings, SettingsTree) else SettingsTree.of(settings)
        self._app: KioskApp | None = None  # made on first use: after the first paint
        ctx = Context(
            post=lambda event: self.app.post(event),  # noqa: PLW0108 - the app of now
            settings=self.settings,
            lang=self._lang,
            look=self._first_look,
            services=self,
        )
        language = Language(self._start.look.default_language)
        self.window = KioskWindow(ctx, self.languages, language)
        self.on_view: Callable[[View], object] | None = None  # the demo's screenshots

    @property
    def app(self) -> KioskApp:
        """The app shell; its import (the journal, SQLAlchemy, the drivers…) waits
        until something needs it, so the window can paint first."""
        if self._app is None:
            self._app = self._new_app(self.settings())
        return self._app

    # -- what the screens ask of the kiosk (ui.screens.base.Services) ---------------
    def maintenance_tools(self) -> Tools:
        from ui.screens.maintenance.tools import Tools  # noqa: PLC0415 - the menu's, on use

        return Tools(lambda: self.app.maintenance, self.bridge.dispatch, self._lang)

    def pin_lock(self) -> LockState:
        return self.app.maintenance.lock()

    def _new_app(self, settings: Settings) -> KioskApp:
        from kiosk.app import KioskApp  # noqa: PLC0415 - after the first paint

        return KioskApp(
            settings,
            self._show,
            dispatch=self.bridge.dispatch,
            receipts_png=self._receipts_png,
            time_scale=self._time_scale,
            on_restart=lambda: self.bridge.dispatch(self._restart),
        )

    def _lang(self) -> Language:
        return self.languages.current

    def start(self) -> None:
        self.app.start()

    def _restart(self) -> None:
        """On the main thread, after the asking call returned: stop the app, read the
        settings again (the maintenance menu may have changed them), start anew."""
        if self._on_restart is not None:
            self._on_restart()
            return
        settings = self.app.settings
        self.app.stop()
        tree = merge(settings.model_dump(mode="json"), local_changes(Path(settings.paths.data_dir)))
        self._app = self._new_app(validate(tree, "settings after a restart"))
        self.restarts += 1
        self.app.start()

    def pin(self, pin: str, answer: Callable[[PinResult | None], object]) -> None:
        maintenance = self.app.maintenance
        self._later(lambda: maintenance.enter_pin(pin), answer)

    def stop(self) -> None:
        if self._app is not None:
            self._app.stop()
        self.window.may_close = True
        self.window.close()

    def settings(self) -> Settings:
        """The settings of now; validated here first if they were only read
        (``ConfigError`` when they cannot be used)."""
        if self._app is not None:
            return self._app.current_settings()
        return self._start.validated()

    def _first_look(self) -> FirstLook:
        """What the attract screen and the header show: from the tree as read until
        the settings are validated, then from the settings of now."""
        if self._app is None and not self._start.is_validated:
            return self._start.look
        return FirstLook.of(self.settings())

    def _show(self, view: View) -> None:
        self.window.show_view(view)
        if self.on_view is not None:
            self.on_view(view)

    # -- helpers for the account and done screens ----------------------------------
    def _later(self, work: Callable[[], Any], answer: Callable[[Any], object]) -> None:
        """Off the main thread; ``answer`` runs on it with the result, or None when
        the work failed (logged with its traceback; the screen says "unavailable")."""

        def done(result: object) -> None:
            value = None if isinstance(result, Failed) else result
            self.bridge.dispatch(lambda: answer(value))

        run_off_thread(work, done, "ui helper")

    def orders(self, account: str, answer: Callable[[Sequence[Order] | None], object]) -> None:
        central = self.app.central
        if central is None:
            answer(None)
            return
        self._later(lambda: central.orders(account), answer)

    def payments(self, service: str, account: str) -> Sequence[Payment]:
        from kiosk.ledger import payments_for  # noqa: PLC0415 - the journal's, on use

        journal = self.app.journal
        return [] if journal is None else payments_for(journal, service, account)

    def reprint(self, transaction: str, answer: Callable[[bool], object]) -> None:
        receipts = self.app.receipts
        if receipts is None:
            answer(False)
            return
        lang = self.languages.current
        receipts.reprint(transaction, lang, lambda ok: self.bridge.dispatch(lambda: answer(ok)))

    def sms(self, transaction: str, phone: str, answer: Callable[[bool | None], object]) -> None:
        central = self.app.central
        if central is None:
            answer(False)
            return
        self._later(lambda: central.send_receipt_sms(transaction, phone), answer)
