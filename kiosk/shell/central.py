"""The flow's questions to the central server, asked on their own thread.

LookUpBill → ``GET /api/v1/bills/{service}/{account}``; RequestPhoneCode →
``POST /api/v1/phone/code``; LookUpBillByPhone → ``POST /api/v1/bills/by-phone``;
CreateQrOrder →
``POST /api/v1/payments/create``; QueryQrOrder → ``GET /api/v1/payments/{id}``;
CancelQrOrder → ``POST …/cancel``; RefundQrOrder → ``POST …/refund`` and
ReverseCardPayment → ``POST /api/v1/cards/{reference}/reverse`` (the uploaded
journal record is their durable copy). Every request has a timeout; a timeout, a
network error or an answer that is not what the API promises becomes a clear
event (LookupFailed, QrOrderFailed, QrPending) — never a crash, never a guess.
``authorize`` is the card service's acquirer (``POST /api/v1/cards/authorize``).
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from uuid import UUID

import requests

from kiosk.bills import Bill, BillLine, CardReissue, Coupon
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.money import Money
from kiosk.shell.cards import Authorization
from offline_queue import http
from offline_queue.files import write_atomically

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
        coupons = tuple(
            Coupon(str(x["code"]), str(x["label_zh"]), str(x["label_en"]),
                   Money.from_json(x["amount"]))
            for x in data.get("coupons", ())
        )  # fmt: skip
        if any(not c.amount.is_positive() for c in coupons):
            raise ValueError("a coupon is not a positive amount")
        usage = data.get("usage_this_period")
        balance = data.get("prepaid_balance")
        applied = data.get("credit_applied")
        reissues = tuple(
            CardReissue(UUID(str(x["transaction"])), _units(x["units"]),
                        Money.from_json(x["amount"]))
            for x in data.get("card_reissues", ())
        )  # fmt: skip
        bill = Bill(
            str(data["service"]),
            str(data["account"]),
            str(data["holder"]),
            lines,
            coupons=coupons,
            prepaid=bool(data.get("prepaid")),
            prepaid_balance=Money.from_json(balance) if balance is not None else None,
            usage_this_period=Decimal(usage) if usage is not None else None,
            card_reissues=reissues,
            credit_applied=Money.from_json(applied) if applied is not None else None,
        )
        if bill.credit_applied is not None and bill.credit_applied.minor < 0:
            raise ValueError("the credit applied is negative")
        if "due" in data and Money.from_json(data["due"]) != bill.due:
            raise ValueError(f"the due {data['due']} is not the lines less coupons and credit")
        return bill
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise BadAnswer(f"not a bill: {exc}") from None


def _units(value: object) -> str:
    """Units as the card stores them: a plain positive decimal in ASCII."""
    text = str(value)
    if not re.fullmatch(r"[0-9]{1,9}(\.[0-9]{1,2})?", text, re.ASCII) or Decimal(text) <= 0:
        raise ValueError(f"units {text!r} are not a positive decimal")
    return text


CENTRAL_COMMANDS = (
    c.LookUpBill, c.LookUpBillByPhone, c.RequestPhoneCode,
    c.CreateQrOrder, c.QueryQrOrder, c.CancelQrOrder,
    c.RefundQrOrder, c.ReverseCardPayment,
)  # fmt: skip
REFUND_COMMANDS = (c.RefundQrOrder, c.ReverseCardPayment)


class CentralService:
    def __init__(
        self,
        base_url: str,
        token: str,
        post: Callable[[e.Event], object],
        *,
        timeout_s: float = 5.0,
        verify: bool | str = True,
        qr_hold_s: int = 0,
    ) -> None:
        """``qr_hold_s``: an order-status poll is held by the server this long
        while the order waits to be paid (answered the moment it is), on a
        thread and connection of its own, so that a cancel or a lookup is not
        queued behind it; 0: each poll is answered at once."""
        self._api = base_url.rstrip("/") + "/api/v1"
        self._post = post
        self._timeout = timeout_s
        self._hold = qr_hold_s
        self._session = http.session(verify, token)
        self._jobs: queue.SimpleQueue[c.Command | None] = queue.SimpleQueue()
        self._polls: queue.SimpleQueue[c.Command | None] = queue.SimpleQueue()
        self._poll_session = http.session(verify, token)
        self._threads = [
            threading.Thread(target=self._run, args=(jobs, session), name=name, daemon=True)
            for name, jobs, session in (
                ("central", self._jobs, self._session),
                ("central-qr-status", self._polls, self._poll_session),
            )
        ]
        for thread in self._threads:
            thread.start()

    COMMANDS = CENTRAL_COMMANDS

    def execute(self, command: c.Command) -> None:
        if not isinstance(command, CENTRAL_COMMANDS):
            raise TypeError(f"not a central server command: {type(command).__name__}")
        held = isinstance(command, c.QueryQrOrder) and self._hold > 0
        (self._polls if held else self._jobs).put(command)

    def give_back(self, command: c.RefundQrOrder | c.ReverseCardPayment) -> str | None:
        """Ask the server to refund a late QR payment or reverse a late card
        approval: its status (``refunded``, ``reversed``, ``declined``), or None
        when the server could not be asked now. The journaled record, uploaded
        through the outbox, is the durable copy: the server carries out whichever
        arrives first and the other finds it done. A refusal (404, 409: nothing
        to give back) is final and logged."""
        if isinstance(command, c.RefundQrOrder):
            url = f"{self._api}/payments/{command.order_id}/refund"
        else:
            url = f"{self._api}/cards/{command.reference}/reverse"
        try:
            response = self._session.post(
                url, json={"reason": command.reason}, timeout=self._timeout
            )
            if response.status_code in (404, 409):
                log.warning("%s refused: %s", url.rsplit("/api/v1", 1)[1], response.text[:200])
                return "refused"
            response.raise_for_status()
            status = response.json()["status"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            log.warning("%s not sent now (the outbox carries it): %s", type(command).__name__,
                        type(exc).__name__)  # fmt: skip
            return None
        log.info("%s: %s", type(command).__name__, status)
        return str(status)

    def authorize(self, request: Mapping[str, object]) -> Authorization:
        """The card service's acquirer: ``POST /api/v1/cards/authorize``. Raises on
        a timeout or a broken answer (the card service says "no answer")."""
        response = self._session.post(
            f"{self._api}/cards/authorize", json=dict(request), timeout=self._timeout
        )
        response.raise_for_status()
        answer = response.json()
        if not isinstance(answer.get("approved"), bool):
            raise BadAnswer(f"not an authorization: {answer!r}"[:200])
        return Authorization(
            answer["approved"], str(answer.get("auth_code", "")), str(answer.get("reason", ""))
        )

    def orders(self, account: str) -> list[dict[str, object]]:
        """The account's recent orders at this kiosk (``GET /api/v1/orders``), newest
        first. Raises on a timeout or an answer that is not a list of orders."""
        response = self._session.get(
            f"{self._api}/orders", params={"userId": account}, timeout=self._timeout
        )
        response.raise_for_status()
        answer = response.json()
        if not isinstance(answer, list) or not all(isinstance(o, dict) for o in answer):
            raise BadAnswer(f"not a list of orders: {answer!r}"[:200])
        return answer

    def send_receipt_sms(self, transaction: str, phone: str | None = None) -> bool:
        """Ask the server to text a copy of an uploaded payment's receipt."""
        body = {"transaction": transaction} | ({"phone": phone} if phone else {})
        try:
            response = self._session.post(
                f"{self._api}/receipts/sms", json=body, timeout=self._timeout
            )
        except requests.RequestException as exc:
            log.warning("receipt SMS not sent: %s", type(exc).__name__)
            return False
        return response.status_code == 202

    def stop(self) -> None:
        self._jobs.put(None)
        self._polls.put(None)
        for thread in self._threads:
            thread.join(timeout=self._timeout + self._hold)
        self._session.close()
        self._poll_session.close()

    def _run(
        self, jobs: queue.SimpleQueue[c.Command | None], session: requests.Session
    ) -> None:  # fmt: skip
        while (job := jobs.get()) is not None:
            try:
                answer = self._answer(job, session)
                if answer is not None:
                    self._post(answer)
            except Exception:  # a bug here must not leave the customer waiting forever
                log.exception("central job %r failed", job)

    def _answer(  # noqa: PLR0911 - one answer per case
        self, job: c.Command, session: requests.Session
    ) -> e.Event | None:
        if isinstance(job, REFUND_COMMANDS):
            status = self.give_back(job)
            reference = job.order_id if isinstance(job, c.RefundQrOrder) else job.reference
            return e.GivenBack(reference, status) if status else None
        try:
            if isinstance(job, c.RequestPhoneCode):
                response = self._session.post(
                    f"{self._api}/phone/code", json={"service": job.service, "phone": job.phone},
                    timeout=self._timeout,
                )  # fmt: skip
                if response.status_code not in (202, 429):  # 429: the last code still holds
                    log.warning("phone code not sent: HTTP %d", response.status_code)
                return None
            if isinstance(job, c.LookUpBillByPhone):
                body = {"service": job.service, "phone": job.phone, "code": job.code}
                response = self._session.post(
                    f"{self._api}/bills/by-phone", json=body, timeout=self._timeout
                )
                if response.status_code in (403, 404):  # a wrong code, or no account
                    return e.BillNotFound()
                response.raise_for_status()
                return e.BillFound(bill_from_json(response.json()))
            if isinstance(job, c.LookUpBill):
                response = self._session.get(
                    f"{self._api}/bills/{job.service}/{job.account}", timeout=self._timeout
                )
                if response.status_code == 404:
                    return e.BillNotFound()
                response.raise_for_status()
                return e.BillFound(bill_from_json(response.json()))
            if isinstance(job, c.CreateQrOrder):
                user = (job.account or job.reference)[:32]
                order_body = {"userId": user, "amount": job.amount.minor,
                              "paymentMethod": job.method.value}  # fmt: skip
                response = self._session.post(
                    f"{self._api}/payments/create", json=order_body, timeout=self._timeout
                )
                response.raise_for_status()
                order = response.json()
                return e.QrOrderCreated(str(order["id"]), str(order["qrUrl"]))
            if isinstance(job, c.QueryQrOrder | c.CancelQrOrder):
                return self._qr_status(job, session)
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            return self._failed(job, f"{type(exc).__name__}: {exc}")
        raise AssertionError(f"not a central command: {job!r}")

    def _qr_status(
        self, job: c.QueryQrOrder | c.CancelQrOrder, session: requests.Session
    ) -> e.Event:  # fmt: skip
        order_id, url = job.order_id, f"{self._api}/payments/{job.order_id}"
        if isinstance(job, c.CancelQrOrder):
            response = session.post(f"{url}/cancel", timeout=self._timeout)
        else:
            hold = {"wait": self._hold} if self._hold else None
            response = session.get(url, params=hold, timeout=self._timeout + self._hold)
        response.raise_for_status()
        status = response.json()["status"]
        if status == "paid":
            return e.QrPaid(order_id)
        if status == "cancelled":
            return e.QrCancelled(order_id)
        return e.QrPending(order_id)

    @staticmethod
    def _failed(job: c.Command, reason: str) -> e.Event | None:
        log.warning("central server: %s", reason)
        if isinstance(job, c.LookUpBill | c.LookUpBillByPhone):
            return e.LookupFailed(reason)
        if isinstance(job, c.RequestPhoneCode):
            return None  # the customer waits for a code; the lookup will say if it fails
        if isinstance(job, c.CreateQrOrder):
            return e.QrOrderFailed(reason)
        assert isinstance(job, c.QueryQrOrder | c.CancelQrOrder)
        return e.QrPending(job.order_id)  # ask again; the flow's own timeout bounds it


@dataclass(frozen=True, slots=True)
class Credentials:
    kiosk_id: str
    group: str
    token: str


def load_credentials(path: Path) -> Credentials | None:
    """This kiosk's credential, or None when it has not been enrolled (or the file
    is not one: the kiosk then runs as not enrolled and says so in the log)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(str(data["kiosk_id"]), str(data["group"]), str(data["token"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.error("credential file %s unreadable: %s", path, type(exc).__name__)
        return None


def enroll(
    base_url: str, code: str, path: Path, timeout_s: float = 10.0, verify: bool | str = True
) -> Credentials:
    """Trade a one-time enrollment code for this kiosk's own credential and keep it
    in ``path`` (readable by the kiosk's user only)."""
    response = requests.post(
        base_url.rstrip("/") + "/api/v1/enroll", json={"code": code}, timeout=timeout_s,
        verify=verify,
    )  # fmt: skip
    response.raise_for_status()
    answer = response.json()
    credentials = Credentials(str(answer["kiosk_id"]), str(answer["group"]), str(answer["token"]))
    write_atomically(path, json.dumps(asdict(credentials)).encode(), mode=0o600)
    return credentials
