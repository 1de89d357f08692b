"""Receipts out of the journal and onto paper, off the flow's thread.

``build_printer`` makes the ReceiptPrinter the settings name (``sim`` starts
the simulator on a local TCP port and keeps a PNG of every receipt). A
``ReceiptService`` prints on its own thread and answers the flow with
``ReceiptPrinted`` or ``ReceiptFailed``; a failed receipt stays in the journal
and can be reprinted (``reprint``).
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import PrinterSection, Settings
from drivers.printer.document import Document
from drivers.printer.printer import CjkMode, PrintResult, ReceiptPrinter
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.ledger import payment
from kiosk.money import Language
from kiosk.receipt import receipt, voucher
from kiosk.shell.health import DeviceHealth
from offline_queue.journal import Journal

if TYPE_CHECKING:  # a simulator is imported only where a setting says "sim"
    from drivers.sim.escpos_device import Receipt
    from drivers.sim.escpos_server import EscposServer

log = logging.getLogger(__name__)
DEVICE = "printer"
WIDTH_PX = {58: 384, 80: 576}
DOTS_PER_COLUMN = 12  # font A


@dataclass
class Printer:
    printer: ReceiptPrinter
    simulator: EscposServer | None = None

    def stop(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()


def paper_width_px(section: PrinterSection) -> int:
    """Dots across the paper: ``paper_mm`` if set, else the profile's media width."""
    if section.paper_mm is not None:
        return WIDTH_PX[section.paper_mm]
    from escpos.capabilities import get_profile  # noqa: PLC0415 - loads the profile database

    pixels = get_profile(section.profile).profile_data.get("media", {}).get("width", {})
    value = pixels.get("pixels")
    return int(value) if isinstance(value, int) else WIDTH_PX[80]


def build_printer(section: PrinterSection, png_folder: Path | None = None) -> Printer:
    timeout = section.status_timeout_ms / 1000
    width_px = paper_width_px(section)
    simulator: EscposServer | None = None
    connect: Callable[[], object]
    if section.connection == "sim":
        from drivers.sim.escpos_device import EscposDevice  # noqa: PLC0415 - "sim" only
        from drivers.sim.escpos_server import EscposServer  # noqa: PLC0415

        device = EscposDevice()
        if png_folder is not None:
            device.on_receipt = _png_writer(png_folder, width_px)
        simulator = EscposServer(device, port=0).start()
        host, port = simulator.host, simulator.port
        connect = lambda: _network(host, port, timeout, section.profile)  # noqa: E731
    elif section.connection == "network":
        connect = lambda: _network(section.host, section.port, timeout, section.profile)  # noqa: E731
    elif section.connection == "serial":
        connect = lambda: _serial(section, timeout)  # noqa: E731
    else:
        connect = lambda: _usb(section, timeout)  # noqa: E731
    printer = ReceiptPrinter(
        connect,
        columns=width_px // DOTS_PER_COLUMN,
        width_px=width_px,
        cjk=CjkMode(section.cjk),
    )
    return Printer(printer, simulator)


def _network(host: str, port: int, timeout: float, profile: str) -> object:
    from escpos.printer import Network  # noqa: PLC0415 - opens a socket when made

    # python-escpos leaks its socket when the connect fails (an unclosed-socket
    # ResourceWarning): find out first, with a socket that is always closed.
    with socket.create_connection((host, port), timeout=timeout):
        pass
    return Network(host, port, timeout=timeout, profile=profile)


def _serial(section: PrinterSection, timeout: float) -> object:
    from escpos.printer import Serial  # noqa: PLC0415

    return Serial(
        section.device, baudrate=section.baudrate, timeout=timeout, profile=section.profile
    )


def _usb(section: PrinterSection, timeout: float) -> object:
    from escpos.printer import Usb  # noqa: PLC0415 - needs pyusb, only for USB printers

    return Usb(section.usb_vendor, section.usb_product, timeout=int(timeout * 1000),
               profile=section.profile)  # fmt: skip


def _png_writer(folder: Path, width_px: int) -> Callable[[Receipt], None]:
    """Each receipt to the next free printed-NNN.png: a second kiosk (or run)
    writing to the same folder adds to it and never overwrites a receipt."""
    counter = iter(range(1, 1_000_000))

    def write(printed: Receipt) -> None:
        target = folder / f"printed-{next(counter):03d}.png"
        while target.exists():
            target = folder / f"printed-{next(counter):03d}.png"
        from drivers.sim import receipt_png  # noqa: PLC0415 - the simulator's, with Pillow

        path = receipt_png.save(printed, target, width_px)
        log.info("simulated printer: receipt rendered to %s", path)

    return write


def print_payment(
    printer: ReceiptPrinter, journal: Journal, settings: Settings, transaction: str,
    lang: Language,
) -> PrintResult | None:  # fmt: skip
    paid = payment(journal, transaction)
    if paid is None:
        return None
    return printer.print(receipt(settings, paid.data, paid.at, transaction, lang))


@dataclass(frozen=True)
class _Document:
    """A document from the maintenance menu (test page, collection report)."""

    document: Document
    done: Callable[[PrintResult], object]


@dataclass(frozen=True)
class _Reprint:
    """A past payment's receipt, asked for from the screen; ``done`` gets the outcome."""

    transaction: str
    lang: Language
    done: Callable[[bool], object]


class ReceiptService:
    """Prints on its own thread; posts the outcome back to the flow."""

    def __init__(
        self,
        printer: ReceiptPrinter,
        journal: Journal,
        settings: Settings,
        post: Callable[[e.Event], object],
        lang: Language = Language.ZH,
        health: DeviceHealth | None = None,
    ) -> None:
        self._printer = printer
        self._health = health or DeviceHealth()
        self._journal = journal
        self._settings = settings
        self._post = post
        self.lang = lang
        self._jobs: queue.SimpleQueue[c.Command | _Reprint | _Document | None] = queue.SimpleQueue()
        self._reported: tuple[bool, bool] | None = None
        self._thread = threading.Thread(target=self._run, name="printer", daemon=True)
        self._thread.start()

    COMMANDS = (c.PrintReceipt, c.PrintVoucher)

    def execute(self, command: c.Command) -> None:
        """A print job, after the ones queued (the printer has one owner thread)."""
        if not isinstance(command, self.COMMANDS):
            raise TypeError(f"not a printer command: {type(command).__name__}")
        self._jobs.put(command)

    def check_status(self) -> None:
        """Ask the printer how it is; a change (paper out, back) is posted to the flow."""
        self._jobs.put(c.RequestHealthCheck())

    def reprint(self, transaction: str, lang: Language, done: Callable[[bool], object]) -> None:
        """Print a past payment's receipt again, after the jobs already queued (the
        printer has one owner thread); ``done(printed)`` is called on that thread."""
        self._jobs.put(_Reprint(transaction, lang, done))

    def print_document(self, document: Document, done: Callable[[PrintResult], object]) -> None:
        """Print ``document`` after the jobs queued; ``done`` gets the result."""
        self._jobs.put(_Document(document, done))

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                self._print(job)
            except Exception as exc:
                log.exception("printing %r failed", job)
                self._health.error(DEVICE, f"{type(exc).__name__}: {exc}")
                if isinstance(job, _Reprint):
                    job.done(False)
                elif isinstance(job, c.PrintReceipt):
                    self._post(e.ReceiptFailed(f"printing failed: {exc}"))

    def _report(self) -> None:
        """Tell the flow when printing goes off or on, or the paper runs low."""
        status = self._printer.last_status
        if status is None:
            return
        self._health.state(DEVICE, status.health.value)
        state = (status.health.can_print, status.paper_near_end)
        if state != self._reported:
            self._reported = state
            self._post(e.PrinterChanged(*state))

    def _track(self, result: PrintResult | None, what: str) -> None:
        if result is not None and result.printed:
            self._health.count(DEVICE, "printed", f"printed {what}")
        else:
            self._health.error(DEVICE, (result.error if result else None) or f"{what} not found")

    def _print(self, job: c.Command | _Reprint | _Document) -> None:
        if isinstance(job, _Document):
            document_result = self._printer.print(job.document)
            self._track(document_result, "a maintenance document")
            job.done(document_result)
            self._report()
            return
        if isinstance(job, _Reprint):
            result = print_payment(
                self._printer, self._journal, self._settings, job.transaction, job.lang
            )
            self._track(result, "a receipt again")
            job.done(result is not None and result.printed)
            self._report()
            return
        if isinstance(job, c.RequestHealthCheck):
            self._printer.status()
            self._report()
            return
        self._print_job(job)
        self._report()

    def _print_job(self, job: c.Command) -> None:
        if isinstance(job, c.PrintReceipt):
            result = print_payment(
                self._printer, self._journal, self._settings, str(job.transaction), self.lang
            )
            self._track(result, "a receipt")
            if result is not None and result.printed:
                self._post(e.ReceiptPrinted())
            else:
                reason = (result.error if result else None) or "no such payment"
                self._post(e.ReceiptFailed(reason))
        elif isinstance(job, c.PrintVoucher):
            entry = self._journal.transaction(str(job.transaction))
            at = entry.at if entry else ""
            result = self._printer.print(
                voucher(self._settings, job.amount, at, str(job.transaction), self.lang)
            )
            self._track(result, "a voucher")
            if not result.printed:
                log.warning("voucher %s not printed: %s", job.transaction, result.error)
