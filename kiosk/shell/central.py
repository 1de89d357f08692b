"""The flow's questions to the central server, asked on their own thread.

LookUpBill → ``GET /api/v1/bills/{service}/{account}``; CreateQrOrder →
``POST /api/v1/payments/create``; QueryQrOrder → ``GET /api/v1/payments/{id}``;
CancelQrOrder → ``POST …/cancel``. Every request has a timeout; a timeout, a
network error or an answer that is not what the API promises becomes a clear
event (LookupFailed, QrOrderFailed, QrPending) — never a crash, never a guess.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from kiosk.bills import Bill, BillLine
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.money import Money

log = logging.getLogger(__name__)


class BadAnswer(ValueError):
    """The server's answer is not what the API document says."""


def bill_from_json(data: Any) -> Bill:
    try:
        lines = tuple(
            BillLine(str(x["label_zh"]), str(x["label_en"]), Money.from_json(x["amount"]),
                     x.get("due_date"))
            for x in data["lines"]
        )  # fmt: skip
        usage = data.get("usage_this_period")
        return Bill(
            str(data["service"]),
            str(data["account"]),
            str(data["holder"]),
            lines,
            prepaid=bool(data.get("prepaid")),
            usage_this_period=Decimal(usage) if usage is not None else None,
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise BadAnswer(f"not a bill: {exc}") from None


class CentralService:
    def __init__(
        self,
        base_url: str,
        token: str,
        post: Callable[[e.Event], object],
        *,
        timeout_s: float = 5.0,
    ) -> None:
        self._api = base_url.rstrip("/") + "/api/v1"
        self._post = post
        self._timeout = timeout_s
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"
        self._jobs: queue.SimpleQueue[c.Command | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="central", daemon=True)
        self._thread.start()

    def submit(self, command: c.Command) -> bool:
        if isinstance(command, c.LookUpBill | c.CreateQrOrder | c.QueryQrOrder | c.CancelQrOrder):
            self._jobs.put(command)
            return True
        return False

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=10)
        self._session.close()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                self._post(self._answer(job))
            except Exception:  # a bug here must not leave the customer waiting forever
                log.exception("central job %r failed", job)

    def _answer(self, job: c.Command) -> e.Event:  # noqa: PLR0911 - one answer per case
        try:
            if isinstance(job, c.LookUpBill):
                response = self._session.get(
                    f"{self._api}/bills/{job.service}/{job.account}", timeout=self._timeout
                )
                if response.status_code == 404:
                    return e.BillNotFound()
                response.raise_for_status()
                return e.BillFound(bill_from_json(response.json()))
            if isinstance(job, c.CreateQrOrder):
                body = {"userId": job.reference[:32], "amount": job.amount.minor,
                        "paymentMethod": job.method.value}  # fmt: skip
                response = self._session.post(
                    f"{self._api}/payments/create", json=body, timeout=self._timeout
                )
                response.raise_for_status()
                order = response.json()
                return e.QrOrderCreated(str(order["id"]), str(order["qrUrl"]))
            if isinstance(job, c.QueryQrOrder | c.CancelQrOrder):
                order_id = job.order_id
                suffix = "/cancel" if isinstance(job, c.CancelQrOrder) else ""
                method = self._session.post if suffix else self._session.get
                response = method(f"{self._api}/payments/{order_id}{suffix}", timeout=self._timeout)
                response.raise_for_status()
                status = response.json()["status"]
                if status == "paid":
                    return e.QrPaid(order_id)
                if status == "cancelled":
                    return e.QrCancelled(order_id)
                return e.QrPending(order_id)
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            return self._failed(job, f"{type(exc).__name__}: {exc}")
        raise AssertionError(f"not a central command: {job!r}")

    @staticmethod
    def _failed(job: c.Command, reason: str) -> e.Event:
        log.warning("central server: %s", reason)
        if isinstance(job, c.LookUpBill):
            return e.LookupFailed(reason)
        if isinstance(job, c.CreateQrOrder):
            return e.QrOrderFailed(reason)
        assert isinstance(job, c.QueryQrOrder | c.CancelQrOrder)
        return e.QrPending(job.order_id)  # ask again; the flow's own timeout bounds it
