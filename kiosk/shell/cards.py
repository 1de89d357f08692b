"""The card reader's work, on its own thread: account cards and card payments.

* A card inserted while no payment waits is tried as an account card; its
  identity becomes ``AccountCardRead`` (no typing for the customer).
* ``StartCardPayment`` waits for a bank card, reads it (EMV), asks the
  acquirer to authorize, and answers ``CardApproved`` (masked PAN, auth code),
  ``CardDeclined``, ``CardFailed`` (nothing was sent) or ``CardUnanswered``
  (sent, no answer: the flow reverses it). The full PAN and track 2 leave the card
  driver only inside the authorization request; nothing here logs them.
* ``CancelCardPayment`` stops the wait; an approval that still comes is
  reversed at the acquirer (``ReverseCardPayment``, the central server's).
* A card that is not an account card may be a technician card: checked with a
  fresh challenge against the staff-card key, it goes to ``on_staff`` (a
  ``StaffCard``, or the reason it was refused).
* ``read_test`` (maintenance) says what card is in the reader, masked.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from drivers.cards import account, emv, staff
from drivers.cards.apdu import CardError, CardRemoved, MuteCard, NoReader
from drivers.cards.reader import PcscReader
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.shell.health import DeviceHealth
from kiosk.shell.recent import Recent

log = logging.getLogger(__name__)
CANCELS_KEPT = 64


@dataclass(frozen=True, slots=True)
class Authorization:
    approved: bool
    auth_code: str = ""
    reason: str = ""


Authorize = Callable[[Mapping[str, object]], Authorization]
OnStaff = Callable[[staff.StaffCard | str], object]
DEVICE = "card_reader"


def _today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class _ReadTest:
    done: Callable[[str], object]


class CardService:
    def __init__(
        self,
        reader: PcscReader,
        post: Callable[[e.Event], object],
        authorize: Authorize,
        *,
        account_key: bytes = b"",
        insert_timeout_s: float = 60.0,
        staff_key: bytes = b"",
        on_staff: OnStaff | None = None,
        health: DeviceHealth | None = None,
    ) -> None:
        self._key = account_key  # from config, never from code
        self._staff_key = staff_key
        self._on_staff = on_staff
        self._health = health or DeviceHealth()
        self._reader = reader
        self._post = post
        self._authorize = authorize
        self._timeout = insert_timeout_s
        self._jobs: queue.SimpleQueue[c.Command | str | _ReadTest | None] = queue.SimpleQueue()
        self._cancelled: Recent[str, bool] = Recent(CANCELS_KEPT)  # bounded: months of them
        self._thread = threading.Thread(target=self._run, name="card reader", daemon=True)
        self._thread.start()

    COMMANDS = (c.StartCardPayment, c.CancelCardPayment, c.LoadAccountCard)

    def execute(self, command: c.Command) -> None:
        if isinstance(command, c.CancelCardPayment):
            self._cancelled.put(command.reference, True)  # seen by the waiting job at once
        elif isinstance(command, c.StartCardPayment | c.LoadAccountCard):
            self._jobs.put(command)
        else:
            raise TypeError(f"not a card reader command: {type(command).__name__}")

    def card_inserted(self) -> None:
        """From the card watcher: maybe an account card."""
        self._jobs.put("identify")

    def read_test(self, done: Callable[[str], object]) -> None:
        """Maintenance: say what card is in the reader; ``done`` gets the answer."""
        self._jobs.put(_ReadTest(done))

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            name = job if isinstance(job, str) else type(job).__name__
            started = time.monotonic()
            log.debug("card job %s started", name)
            try:
                if job == "identify":
                    self._identify()
                elif isinstance(job, c.StartCardPayment):
                    self._pay(job)
                elif isinstance(job, c.LoadAccountCard):
                    self._load(job)
                elif isinstance(job, _ReadTest):
                    job.done(self._describe())
            except Exception as exc:
                log.exception("card job failed")
                self._health.error(DEVICE, f"{type(exc).__name__}: {exc}")
            log.debug("card job %s ended after %.2f s", name, time.monotonic() - started)

    def _identify(self) -> None:
        try:
            with self._reader.session() as transmit:
                identity = account.read_identity(transmit)
        except (NoReader, MuteCard) as exc:
            self._health.error(DEVICE, f"{type(exc).__name__}: {exc}")
            return
        except CardError as exc:
            log.info("inserted card is not an account card: %s", type(exc).__name__)
            self._staff_card()
            return
        self._health.state(DEVICE, "ok")
        self._health.count(DEVICE, "account_cards", "account card read")
        self._post(e.AccountCardRead(identity.service, identity.account))

    def _staff_card(self) -> None:
        if self._on_staff is None:
            return
        try:
            with self._reader.session() as transmit:
                card = staff.read_staff_card(transmit, self._staff_key, _today())
        except (staff.NotAuthentic, staff.Expired) as exc:
            self._health.count(DEVICE, "staff_cards_refused", "technician card refused")
            self._on_staff(f"{type(exc).__name__}: {exc}")
            return
        except CardError as exc:
            log.info("inserted card is not a technician card either: %s", type(exc).__name__)
            return
        self._health.count(DEVICE, "staff_cards", "technician card read")
        self._on_staff(card)

    def _describe(self) -> str:
        """What the card in the reader is, as a technician may see it (masked)."""
        try:
            with self._reader.session() as transmit:
                try:
                    who = account.read_identity(transmit)
                    return f"account card: {who.service} {who.account}"
                except CardError:
                    pass
                try:
                    card = staff.read_staff_card(transmit, self._staff_key, _today())
                    return f"technician card: {card.staff_id} ({card.role})"
                except staff.NotAuthentic:
                    return "a technician card that is not genuine"
                except CardError:
                    pass
                try:
                    summary = emv.read(transmit, emv.Terminal(amount_fen=1)).summary
                    return f"bank card: {summary.label} {summary.masked_pan}"
                except CardError:
                    pass
            atr = self._reader.atr()
            return f"unknown card, ATR {atr.hex(' ').upper()}" if atr else "unknown card"
        except (CardRemoved, MuteCard, NoReader) as exc:
            return f"{type(exc).__name__}: {exc}"

    def _load(self, job: c.LoadAccountCard) -> None:
        """Write the purchase, read it back, verify; only then is it on the card.
        A purchase the card already holds (its transaction in the record) is not
        written again: a reissue of a write that did reach the card."""
        tx = str(job.transaction)
        if not self._key:
            self._post(e.AccountCardLoadFailed(tx, "no account card key configured"))
            return
        try:
            with self._reader.session() as transmit:
                identity = account.read_identity(transmit)
                if identity.account != job.account:
                    raise CardError("a different account's card is in the reader")
                last = account.read_purchase(transmit, self._key, job.account)
                if last is not None and last.reference == job.transaction.bytes:
                    log.info("purchase %s is on the card already", tx)  # written, not confirmed
                    self._post(e.AccountCardLoaded(tx, last.sequence))
                    return
                purchase = account.Purchase(
                    (last.sequence if last else 0) + 1, job.units, job.amount.minor,
                    job.transaction.bytes,
                )  # fmt: skip
                account.write_purchase(transmit, self._key, job.account, purchase)
        except CardError as exc:
            log.warning("purchase %s not loaded to the card: %s", tx, exc)
            self._post(e.AccountCardLoadFailed(tx, f"{type(exc).__name__}: {exc}"))
            return
        self._post(e.AccountCardLoaded(tx, purchase.sequence))

    def _pay(self, job: c.StartCardPayment) -> None:
        deadline = time.monotonic() + self._timeout
        while job.reference not in self._cancelled:
            try:
                with self._reader.session() as transmit:
                    card = emv.read(transmit, emv.Terminal(amount_fen=job.amount.minor))
                break
            except CardRemoved as exc:
                if "no card" not in str(exc):
                    self._post(e.CardFailed(str(exc)))
                    return
                if time.monotonic() > deadline:
                    self._post(e.CardFailed("no card was inserted"))
                    return
                time.sleep(0.2)
            except (emv.NoApplication, MuteCard, NoReader, CardError) as exc:
                self._post(e.CardFailed(f"{type(exc).__name__}: {exc}"))
                return
        else:
            return  # cancelled while waiting for the card
        request = {
            "reference": job.reference,
            "amount": job.amount.to_json(),
            "card": card.sensitive.for_authorization(),
            "icc": card.icc_data,
            "masked_pan": card.summary.masked_pan,
        }
        try:
            result = self._authorize(request)
        except Exception as exc:
            log.warning("authorization of %s unanswered: %s", job.reference, type(exc).__name__)
            self._post(e.CardUnanswered(job.reference, f"no answer: {type(exc).__name__}"))
            return
        if result.approved:
            self._post(e.CardApproved(job.reference, card.summary.masked_pan, result.auth_code))
        else:
            self._post(e.CardDeclined(result.reason))
