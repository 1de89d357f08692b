"""The sync worker: uploads the outbox to the central server, forever.

* Batches of ``batch_size`` transactions to ``POST /api/v1/transactions/batch``;
  the server stores each UUID once, so a batch sent twice is harmless
  (at-least-once delivery, deduplicated at the server).
* Every request has a timeout. A network error, a timeout, a 5xx, a 408 or a
  429 is "server down or network": wait with exponential backoff and full
  jitter (``random(0, min(cap, base × 2^n))``), honouring Retry-After, and try
  again — forever. A 401/403 is a credential problem: the same, and logged.
  Any other 4xx is "rejected": those transactions go to the dead letters
  (kept, with the reason) and the rest carries on.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from sqlalchemy.exc import SQLAlchemyError

from offline_queue import http
from offline_queue.journal import Journal, JournalError

JOURNAL_RETRY_S = 2.0
log = logging.getLogger(__name__)
RETRY_STATUSES = {401, 403, 408, 429}


class SyncWorker:
    def __init__(
        self,
        journal: Journal,
        base_url: str,
        token: str,
        *,
        batch_size: int = 200,
        timeout_s: float = 10.0,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 60.0,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
        verify: bool | str = True,
    ) -> None:
        self._journal = journal
        self._url = base_url.rstrip("/") + "/api/v1/transactions/batch"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._batch = batch_size
        self._timeout = timeout_s
        self._base = backoff_base_s
        self._cap = backoff_cap_s
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._session = session or http.session(verify)  # a pinned certificate, or the CAs
        self._failures = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.online = False

    # -- the thread ---------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._session.close()

    def poke(self) -> None:
        """Something new is in the outbox: send it now."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delay = self.sync_once()
            except (SQLAlchemyError, JournalError) as exc:
                # the journal busy (a technician's sqlite3 shell holding it): the
                # round is asked again; a batch stored but not marked sent comes
                # back from the server as duplicates
                log.error("sync: the journal is not usable (%s); trying again in %.0f s",
                          type(exc).__name__, JOURNAL_RETRY_S)  # fmt: skip
                delay = JOURNAL_RETRY_S
            self._wake.clear()
            self._wake.wait(delay if delay is not None else 5.0)

    # -- one round ----------------------------------------------------------
    def sync_once(self) -> float | None:
        """Send what is pending; the seconds to wait before the next try on failure,
        or None when all was sent."""
        while not self._stop.is_set():
            pending = self._journal.outbox_pending(self._batch)
            if not pending:
                return None
            ids = [tx for tx, _, _ in pending]
            body = {
                "transactions": [
                    {"id": tx, "kind": kind, "payload": payload} for tx, kind, payload in pending
                ]
            }
            wait = self._send(ids, body)
            if wait is not None:
                return wait
        return None

    def _send(self, ids: list[str], body: Mapping[str, object]) -> float | None:
        try:
            response = self._session.post(
                self._url, json=body, headers=self._headers, timeout=self._timeout
            )
        except requests.exceptions.SSLError:
            log.error("sync: the server's TLS certificate is not trusted (central.tls_ca_file)")
            return self._retry(ids, "TLS: the server's certificate is not trusted", None)
        except requests.RequestException as exc:
            return self._retry(ids, f"network: {type(exc).__name__}", None)
        if response.status_code == 200:
            try:
                answer = response.json()
                done = list(answer["stored"]) + list(answer["duplicates"])
            except (ValueError, KeyError, TypeError):
                return self._retry(ids, "the server answered nonsense", None)
            self._journal.outbox_mark([i for i in ids if i in set(done)], sent=True)
            self._failures, self.online = 0, True
            _say_refused(answer.get("refused"))
            return None
        if response.status_code >= 500 or response.status_code in RETRY_STATUSES:
            if response.status_code in (401, 403):
                log.error("sync: the server refused the kiosk's credential")
            return self._retry(
                ids, f"HTTP {response.status_code}", response.headers.get("Retry-After")
            )
        reason = f"rejected: HTTP {response.status_code} {response.text[:200]}"
        log.warning("sync: %d transaction(s) to the dead letters: %s", len(ids), reason)
        self._journal.outbox_mark(ids, sent=False, error=reason)
        return None

    def _retry(self, ids: list[str], error: str, retry_after: str | None) -> float:
        self._journal.outbox_attempted(ids, error)
        self._failures += 1
        self.online = False
        wait = self._rng.uniform(0, min(self._cap, self._base * 2**self._failures))
        hinted = _retry_after(retry_after)
        return max(wait, hinted) if hinted is not None else wait


def _say_refused(refused: object) -> None:
    """Transactions the server keeps but its books refused: for the operator to
    resolve at the server; the kiosk logs them (they are sent, not dead)."""
    for item in refused if isinstance(refused, list) else []:
        if isinstance(item, dict):
            log.warning(
                "sync: the server's books refused %s: %s", item.get("id"), item.get("reason")
            )


def _retry_after(
    value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now()).total_seconds())
