"""What the maintenance menu may ask of the kiosk it runs in.

``Maintenance`` depends on this Protocol, never on the app shell; ``KioskApp``
implements it (and a test host may). The menu reads the kiosk's state, its
journal and its current settings, asks its devices for a self-test, and asks
the kiosk to change itself (events to the flow, a restart, a device trial) —
it never holds a device or the flow itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from config.settings import Settings
from drivers.printer.document import Document
from drivers.printer.printer import PrintResult
from kiosk.flow import events as e
from kiosk.flow.view import View
from kiosk.money import Language
from kiosk.shell.central import Credentials
from kiosk.shell.health import DeviceHealth
from offline_queue.journal import Journal


class Receipts(Protocol):
    """The receipt printer's owner: a printout answers on the printer's thread."""

    def print_document(self, document: Document, done: Callable[[PrintResult], object]) -> None: ...

    def reprint(self, transaction: str, lang: Language, done: Callable[[bool], object]) -> None: ...


class CardReadTest(Protocol):
    """The card reader's owner: what a card in the reader is, said in words."""

    def read_test(self, done: Callable[[str], object]) -> None: ...


class Host(Protocol):
    """The kiosk as the maintenance menu sees it."""

    @property
    def data_dir(self) -> Path: ...

    @property
    def version(self) -> str: ...

    @property
    def health(self) -> DeviceHealth: ...

    @property
    def journal(self) -> Journal | None: ...

    @property
    def receipts(self) -> Receipts | None: ...

    @property
    def cards(self) -> CardReadTest | None: ...

    @property
    def credentials(self) -> Credentials | None: ...

    def view(self) -> View | None:
        """The flow's current view; None before the flow runs."""
        ...

    def journal_failed(self) -> bool:
        """The journal cannot be written: out of service until restarted."""
        ...

    def current_settings(self) -> Settings:
        """The settings in use (a config bundle's once swapped in)."""
        ...

    def post(self, event: e.Event) -> None: ...

    def show(self, view: View) -> None:
        """A view that does not come from the flow (the menu while the journal failed)."""
        ...

    def show_journal_failure(self) -> None: ...

    def request_restart(self) -> None: ...

    def try_devices(self, trial: Settings, devices: set[str]) -> str | None:
        """Does each named device answer with ``trial``? None if so, else why not."""
        ...

    def upload_soon(self) -> None:
        """A new transaction is in the journal: the uploader need not wait its turn."""
        ...
