"""The card reader's work, on its own thread: account cards and card payments.

* A card inserted while no payment waits is tried as an account card; its
  identity becomes ``AccountCardRead`` (no typing for the customer).
* ``StartCardPayment`` waits for a bank card, reads it (EMV), asks the
  acquirer to authorize, and answers ``CardApproved`` (masked PAN, auth code),
  ``CardDeclined`` or ``CardFailed``. The full PAN and track 2 leave the card
  driver only inside the authorization request; nothing here logs them.
* ``CancelCardPayment`` stops the wait (a late approval is voided by the flow).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from drivers.cards import account, emv
from drivers.cards.apdu import CardError, CardRemoved, MuteCard, NoReader
from drivers.cards.reader import PcscReader
from kiosk.flow import commands as c
from kiosk.flow import events as e

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Authorization:
    approved: bool
    auth_code: str = ""
    reason: str = ""


Authorize = Callable[[Mapping[str, object]], Authorization]


class CardService:
    def __init__(
        self,
        reader: PcscReader,
        post: Callable[[e.Event], object],
        authorize: Authorize,
        *,
        account_key: bytes = b"",
        insert_timeout_s: float = 60.0,
    ) -> None:
        self._key = account_key  # from config, never from code
        self._reader = reader
        self._post = post
        self._authorize = authorize
        self._timeout = insert_timeout_s
        self._jobs: queue.SimpleQueue[c.Command | str | None] = queue.SimpleQueue()
        self._cancelled: set[str] = set()
        self._thread = threading.Thread(target=self._run, name="card reader", daemon=True)
        self._thread.start()

    def submit(self, command: c.Command) -> bool:
        if isinstance(command, c.StartCardPayment):
            self._jobs.put(command)
            return True
        if isinstance(command, c.CancelCardPayment):
            self._cancelled.add(command.reference)
            return True
        if isinstance(command, c.LoadAccountCard):
            self._jobs.put(command)
            return True
        return False

    def card_inserted(self) -> None:
        """From the card watcher: maybe an account card."""
        self._jobs.put("identify")

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                if job == "identify":
                    self._identify()
                elif isinstance(job, c.StartCardPayment):
                    self._pay(job)
                elif isinstance(job, c.LoadAccountCard):
                    self._load(job)
            except Exception:
                log.exception("card job failed")

    def _identify(self) -> None:
        try:
            with self._reader.session() as transmit:
                identity = account.read_identity(transmit)
        except CardError as exc:
            log.info("inserted card is not an account card: %s", type(exc).__name__)
            return
        self._post(e.AccountCardRead(identity.service, identity.account))

    def _load(self, job: c.LoadAccountCard) -> None:
        """Write the purchase, read it back, verify; only then is it on the card."""
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
                purchase = account.Purchase(
                    (last.sequence if last else 0) + 1, job.units, job.amount.minor
                )
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
            log.warning("authorization of %s failed: %s", job.reference, type(exc).__name__)
            self._post(e.CardFailed("the acquirer did not answer"))
            return
        if result.approved:
            self._post(e.CardApproved(job.reference, card.summary.masked_pan, result.auth_code))
        else:
            self._post(e.CardDeclined(result.reason))
