"""A WeChat Pay API v3 simulator on loopback: the provider's side of Native
payment, faithfully enough to test a merchant against. Every request's
``WECHATPAY2-SHA256-RSA2048`` signature is checked against the merchant's
registered key; every answer and notification is signed with the platform
key, and a notification's resource is encrypted under the APIv3 key.

* orders: created with their checks (amount, appid/mchid, a reused
  ``out_trade_no`` with other terms refused, the same terms answered with the
  same ``code_url``), expiry, query, close (a paid order cannot be closed);
* a pay page at the QR's URL for the demo's "phone" (GET shows it, a form
  POST pays; ``code_url`` is this page, where a real one is ``weixin://…``);
* notifications POSTed to the order's ``notify_url`` and retried on any
  answer but 200/204, on WeChat Pay's schedule (15 s, 15 s, 30 s, 3 min,
  10 min, …) compressed by ``speed``;
* refunds (whole or part, never more than was paid) with their own
  notifications; the day's trade bill (交易账单) for download;
* fault switches (``POST /sim/faults``): ``lost`` (notifications never
  sent), ``duplicate`` (each sent twice at once), ``delay_s``,
  ``out_of_order`` (a refund's notification before the payment's), ``early``
  (sent before the create call returns), ``down`` (every call 503), ``slow_s``,
  ``error_5xx`` (the next N calls answer 500), ``refund_processing`` (a
  refund stays PROCESSING, its notification unsent, until it is queried).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse

from central.providers import wechat_wire

CST = timezone(timedelta(hours=8))
SHOWN = {"NOTPAY": "待支付 waiting", "SUCCESS": "已支付 paid", "CLOSED": "已关闭 closed",
         "REFUND": "已退款 refunded"}  # fmt: skip
SCHEDULE_S = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600)
OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")


@dataclass
class Faults:
    lost: bool = False
    duplicate: bool = False
    delay_s: float = 0.0
    out_of_order: bool = False
    early: bool = False
    down: bool = False
    slow_s: float = 0.0
    error_5xx: int = 0  # the next N calls answer 500
    refund_processing: bool = False  # a refund is PROCESSING until it is next queried


@dataclass
class SimOrder:
    out_trade_no: str
    appid: str
    mchid: str
    description: str
    total: int
    notify_url: str
    expire: datetime
    token: str
    state: str = "NOTPAY"  # SUCCESS, CLOSED, REFUND
    transaction_id: str = ""
    success_time: datetime | None = None
    refunded: int = 0


@dataclass
class SimRefund:
    out_refund_no: str
    refund_id: str
    order: SimOrder
    amount: int
    reason: str
    notify_url: str
    status: str = "SUCCESS"
    success_time: datetime = field(default_factory=lambda: datetime.now(CST))


@dataclass
class Delivery:
    """One notification and what became of it."""

    url: str
    event_type: str
    out_trade_no: str
    attempts: list[int] = field(default_factory=list)  # HTTP status per try (0: no answer)
    delivered: bool = False


class WechatSim:
    """The simulator's state; ``app`` is its HTTP face."""

    def __init__(
        self, platform_key: rsa.RSAPrivateKey, platform_key_id: str, apiv3_key: bytes,
        merchants: dict[str, rsa.RSAPublicKey], speed: float = 1.0,
    ) -> None:  # fmt: skip
        self.platform_key, self.platform_key_id = platform_key, platform_key_id
        # the platform certificates ``/v3/certificates`` serves (certificate mode:
        # the answers' ``Wechatpay-Serial`` is one of theirs), newest last
        self.certificates: list[tuple[str, bytes]] = []
        self.certificate_downloads = 0
        self.apiv3_key = apiv3_key
        self.merchants = merchants  # merchant certificate serial → public key
        self.speed = speed  # 0.001: a retry schedule of hours in seconds
        self.faults = Faults()
        self.orders: dict[str, SimOrder] = {}
        self._tokens: dict[str, str] = {}  # pay-page token → out_trade_no
        self.refunds: dict[str, SimRefund] = {}
        self.planted: list[list[str]] = []  # extra trade-bill rows (reconciliation tests)
        self.deliveries: list[Delivery] = []
        self.base_url = ""
        self._lock = threading.Lock()
        self.app = self._make_app()

    def use_certificate(self, key: rsa.RSAPrivateKey | None = None) -> str:
        """Certificate mode: sign with ``key`` (a fresh one by default: a
        rotation) under a new platform certificate, still serving the older
        ones; its serial number (hex), now the answers' ``Wechatpay-Serial``."""
        key = key or wechat_wire.new_key()
        serial, pem = platform_certificate(key)
        with self._lock:
            self.certificates.append((serial, pem))
            self.platform_key, self.platform_key_id = key, serial
        return serial

    # -- the provider's answers -------------------------------------------------------

    def _signed(self, status: int, data: Any = None) -> Response:
        body = "" if data is None else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        headers = wechat_wire.signed_headers(self.platform_key, self.platform_key_id, body)
        return Response(body.encode(), status_code=status, headers=headers,
                        media_type="application/json")  # fmt: skip

    def _error(self, status: int, code: str, message: str) -> Response:
        return self._signed(status, {"code": code, "message": message})

    def _gate(self, request: Request, body: str) -> Response | wechat_wire.Caller:
        """Faults first, then the merchant's signature."""
        if self.faults.slow_s:
            time.sleep(self.faults.slow_s)
        if self.faults.down:
            return Response(b"", status_code=503)
        if self.faults.error_5xx > 0:
            self.faults.error_5xx -= 1
            return self._error(500, "SYSTEM_ERROR", "系统错误")
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        try:
            return wechat_wire.check_authorization(
                request.headers.get("Authorization", ""), request.method, path, body,
                self.merchants,
            )  # fmt: skip
        except wechat_wire.BadSignature as exc:
            return self._error(401, "SIGN_ERROR", str(exc))

    def _make_app(self) -> FastAPI:  # noqa: PLR0915 - one route per provider call
        app = FastAPI(title="WeChat Pay v3 simulator", docs_url=None, redoc_url=None)

        @app.post("/v3/pay/transactions/native")
        async def native(request: Request) -> Response:  # noqa: PLR0911 - an error per check
            body = (await request.body()).decode()
            caller = self._gate(request, body)
            if isinstance(caller, Response):
                return caller
            try:
                data = json.loads(body)
                total = data["amount"]["total"]
                order = SimOrder(
                    str(data["out_trade_no"]), str(data["appid"]), str(data["mchid"]),
                    str(data["description"]), total, str(data["notify_url"]),
                    _expiry(data.get("time_expire")), secrets.token_urlsafe(12),
                )  # fmt: skip
            except (ValueError, KeyError, TypeError) as exc:
                return self._error(400, "PARAM_ERROR", f"参数错误: {exc}")
            if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
                return self._error(400, "PARAM_ERROR", "amount.total must be a positive integer")
            if order.mchid != caller.mchid:
                return self._error(400, "MCH_NOT_EXISTS", "mchid does not match the signer")
            if not OUT_TRADE_NO.match(order.out_trade_no):
                return self._error(400, "PARAM_ERROR", "out_trade_no: 6-32 characters")
            with self._lock:
                known = self.orders.get(order.out_trade_no)
                if known is not None:
                    same = (known.total, known.description) == (order.total, order.description)
                    if not same or known.state != "NOTPAY":
                        return self._error(400, "OUT_TRADE_NO_USED", "商户订单号重复")
                    order = known
                else:
                    self.orders[order.out_trade_no] = order
                    self._tokens[order.token] = order.out_trade_no
            if self.faults.early and known is None:  # the phone is quicker than the answer
                self.pay(order.out_trade_no)
            return self._signed(200, {"code_url": f"{self.base_url}/pay/{order.token}"})

        @app.get("/v3/certificates")
        async def certificates(request: Request) -> Response:
            caller = self._gate(request, "")
            if isinstance(caller, Response):
                return caller
            self.certificate_downloads += 1
            now = datetime.now(CST)
            data = [
                {"serial_no": serial,
                 "effective_time": (now - timedelta(days=1)).isoformat(timespec="seconds"),
                 "expire_time": (now + timedelta(days=365)).isoformat(timespec="seconds"),
                 "encrypt_certificate": wechat_wire.encrypt(self.apiv3_key, pem.decode(),
                                                            "certificate")}
                for serial, pem in self.certificates
            ]  # fmt: skip
            return self._signed(200, {"data": data})

        @app.get("/v3/pay/transactions/out-trade-no/{no}")
        async def query(no: str, request: Request) -> Response:
            caller = self._gate(request, "")
            if isinstance(caller, Response):
                return caller
            order = self._live(no)
            if order is None or order.mchid != caller.mchid:
                return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
            return self._signed(200, self._transaction(order))

        @app.post("/v3/pay/transactions/out-trade-no/{no}/close")
        async def close(no: str, request: Request) -> Response:
            caller = self._gate(request, (await request.body()).decode())
            if isinstance(caller, Response):
                return caller
            with self._lock:
                order = self._live(no)
                if order is None or order.mchid != caller.mchid:
                    return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
                if order.state in ("SUCCESS", "REFUND"):
                    return self._error(400, "ORDERPAID", "订单已支付")
                order.state = "CLOSED"
            return self._signed(204)

        @app.post("/v3/refund/domestic/refunds")
        async def refund(request: Request) -> Response:  # noqa: PLR0911 - an error per check
            body = (await request.body()).decode()
            caller = self._gate(request, body)
            if isinstance(caller, Response):
                return caller
            try:
                data = json.loads(body)
                no, amount = str(data["out_trade_no"]), data["amount"]["refund"]
                out_refund_no = str(data["out_refund_no"])
            except (ValueError, KeyError, TypeError) as exc:
                return self._error(400, "PARAM_ERROR", f"参数错误: {exc}")
            with self._lock:
                order = self.orders.get(no)
                if order is None or order.mchid != caller.mchid:
                    return self._error(404, "RESOURCE_NOT_EXISTS", "订单不存在")
                known = self.refunds.get(out_refund_no)
                if known is not None:
                    return self._signed(200, self._refund_json(known))
                if order.state not in ("SUCCESS", "REFUND"):
                    return self._error(400, "INVALID_REQUEST", "订单未支付")
                if not isinstance(amount, int) or not 0 < amount <= order.total - order.refunded:
                    return self._error(400, "INVALID_REQUEST", "退款金额超过可退金额")
                made = SimRefund(out_refund_no, f"50{secrets.token_hex(14)}", order, amount,
                                 str(data.get("reason", "")),
                                 str(data.get("notify_url") or order.notify_url))  # fmt: skip
                if self.faults.refund_processing:
                    made.status = "PROCESSING"
                self.refunds[out_refund_no] = made
                order.refunded += amount
                order.state = "REFUND"
            if made.status == "SUCCESS":
                self._notify(made.notify_url, "REFUND.SUCCESS", "refund",
                             self._refund_event(made), order.out_trade_no)  # fmt: skip
            return self._signed(200, self._refund_json(made))

        @app.get("/v3/refund/domestic/refunds/{no}")
        async def refund_query(no: str, request: Request) -> Response:
            caller = self._gate(request, "")
            if isinstance(caller, Response):
                return caller
            made = self.refunds.get(no)
            if made is None or made.order.mchid != caller.mchid:
                return self._error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            answer = self._signed(200, self._refund_json(made))
            made.status = "SUCCESS"  # a processing refund is done by the next time it is asked
            return answer

        @app.get("/v3/bill/tradebill")
        async def trade_bill(request: Request, bill_date: str) -> Response:
            caller = self._gate(request, "")
            if isinstance(caller, Response):
                return caller
            token = f"{caller.mchid}.{bill_date}"
            return self._signed(200, {
                "hash_type": "SHA1", "hash_value": "",
                "download_url": f"{self.base_url}/v3/billdownload/file?token={token}",
            })  # fmt: skip

        @app.get("/v3/billdownload/file")
        async def download(request: Request, token: str) -> Response:
            caller = self._gate(request, "")
            if isinstance(caller, Response):
                return caller
            mchid, _, day = token.partition(".")
            if mchid != caller.mchid:
                return self._error(403, "NO_AUTH", "not your bill")
            text = self.trade_bill(caller.mchid, date.fromisoformat(day))
            return Response(text.encode("utf-8"), media_type="text/csv")

        @app.get("/pay/{token}", response_class=HTMLResponse)
        def page(token: str) -> str:
            order = self._by_token(token)
            if order is None:
                return "<h1>二维码已失效 Expired</h1>"
            state = SHOWN[order.state]
            return PAGE.format(order=order.out_trade_no, amount=_yuan(order.total), status=state)

        @app.post("/pay/{token}", response_class=HTMLResponse)
        def pay(token: str) -> Response:
            order = self._by_token(token)
            if order is None or not self.pay(order.out_trade_no):
                return HTMLResponse("<h1>无法支付 Cannot pay</h1>", status_code=409)
            return HTMLResponse(page(token))

        @app.post("/sim/faults")
        async def faults(request: Request) -> dict[str, Any]:
            for key, value in (await request.json()).items():
                if hasattr(self.faults, key):
                    setattr(self.faults, key, type(getattr(self.faults, key))(value))
            return vars(self.faults)

        return app

    # -- state ---------------------------------------------------------------------

    def _live(self, no: str) -> SimOrder | None:
        order = self.orders.get(no)
        if order is not None and order.state == "NOTPAY" and datetime.now(UTC) > order.expire:
            order.state = "CLOSED"
        return order

    def _by_token(self, token: str) -> SimOrder | None:
        no = self._tokens.get(token)
        return self.orders.get(no) if no is not None else None

    def pay(self, out_trade_no: str) -> bool:
        """The customer pays: the order is SUCCESS and the notification goes out."""
        with self._lock:
            order = self._live(out_trade_no)
            if order is None or order.state != "NOTPAY":
                return False
            order.state, order.success_time = "SUCCESS", datetime.now(CST)
            order.transaction_id = f"4200{secrets.randbelow(10**24):024d}"
        self._notify(order.notify_url, "TRANSACTION.SUCCESS", "transaction",
                     self._transaction(order), order.out_trade_no)  # fmt: skip
        return True

    def _transaction(self, order: SimOrder) -> dict[str, Any]:
        paid = order.state in ("SUCCESS", "REFUND")
        out: dict[str, Any] = {
            "appid": order.appid, "mchid": order.mchid, "out_trade_no": order.out_trade_no,
            "trade_type": "NATIVE", "trade_state": order.state,
            "trade_state_desc": {"NOTPAY": "未支付", "SUCCESS": "支付成功", "CLOSED": "已关闭",
                                 "REFUND": "转入退款"}[order.state],
            "amount": {"total": order.total, "currency": "CNY",
                       "payer_total": order.total if paid else 0, "payer_currency": "CNY"},
        }  # fmt: skip
        if paid and order.success_time is not None:
            out |= {"transaction_id": order.transaction_id, "bank_type": "OTHERS",
                    "success_time": order.success_time.isoformat(timespec="seconds"),
                    "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}  # fmt: skip
        return out

    def _refund_json(self, made: SimRefund) -> dict[str, Any]:
        return {
            "refund_id": made.refund_id, "out_refund_no": made.out_refund_no,
            "transaction_id": made.order.transaction_id, "out_trade_no": made.order.out_trade_no,
            "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
            "success_time": made.success_time.isoformat(timespec="seconds"),
            "create_time": made.success_time.isoformat(timespec="seconds"),
            "status": made.status,
            "amount": {"total": made.order.total, "refund": made.amount,
                       "payer_total": made.order.total, "payer_refund": made.amount,
                       "currency": "CNY"},
        }  # fmt: skip

    def _refund_event(self, made: SimRefund) -> dict[str, Any]:
        return {
            "mchid": made.order.mchid, "out_trade_no": made.order.out_trade_no,
            "transaction_id": made.order.transaction_id, "out_refund_no": made.out_refund_no,
            "refund_id": made.refund_id, "refund_status": made.status,
            "success_time": made.success_time.isoformat(timespec="seconds"),
            "user_received_account": "支付用户零钱",
            "amount": {"total": made.order.total, "refund": made.amount,
                       "payer_total": made.order.total, "payer_refund": made.amount},
        }  # fmt: skip

    # -- notifications ---------------------------------------------------------------

    def notification(self, event_type: str, original_type: str, resource: dict[str, Any]) -> str:
        """The JSON body of a notification (its resource encrypted)."""
        plain = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
        return json.dumps({
            "id": f"EV-{secrets.token_hex(10)}",
            "create_time": datetime.now(CST).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource", "event_type": event_type,
            "summary": "支付成功" if event_type.startswith("TRANSACTION") else "退款成功",
            "resource": {"original_type": original_type,
                         **wechat_wire.encrypt(self.apiv3_key, plain, original_type)},
        }, ensure_ascii=False, separators=(",", ":"))  # fmt: skip

    def _notify(self, url: str, event_type: str, original: str, resource: dict[str, Any],
                no: str) -> None:  # fmt: skip
        if self.faults.lost:
            return
        body = self.notification(event_type, original, resource)
        delivery = Delivery(url, event_type, no)
        self.deliveries.append(delivery)
        copies = 2 if self.faults.duplicate else 1
        delay = self.faults.delay_s
        if self.faults.out_of_order and event_type.startswith("TRANSACTION"):
            delay += 1.0  # a refund made meanwhile is heard first
        for _ in range(copies):
            threading.Thread(target=self._deliver, args=(delivery, body, delay),
                             daemon=True).start()  # fmt: skip

    def _deliver(self, delivery: Delivery, body: str, delay: float) -> None:
        time.sleep(delay)
        for wait in (0, *SCHEDULE_S):
            time.sleep(wait * self.speed)
            headers = wechat_wire.signed_headers(self.platform_key, self.platform_key_id, body)
            headers["Content-Type"] = "application/json"
            try:
                got = requests.post(delivery.url, data=body.encode(), headers=headers, timeout=5)
                status = got.status_code
            except requests.RequestException:
                status = 0
            delivery.attempts.append(status)
            if status in (200, 204):
                delivery.delivered = True
                return

    # -- the trade bill --------------------------------------------------------------

    def trade_bill(self, mchid: str, day: date) -> str:
        lines = [_header()]
        payments = refunds = 0
        total = refunded = 0
        for order in self.orders.values():
            if order.mchid != mchid or order.success_time is None:
                continue
            if order.success_time.astimezone(CST).date() != day:
                continue
            payments, total = payments + 1, total + order.total
            lines.append(_row(order, "SUCCESS", order.success_time))
        for made in self.refunds.values():
            if made.order.mchid == mchid and made.success_time.astimezone(CST).date() == day:
                refunds, refunded = refunds + 1, refunded + made.amount
                lines.append(_row(made.order, "REFUND", made.success_time, made))
        lines += [",".join("`" + x for x in row) for row in self.planted]
        lines.append(
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
        )
        lines.append(",".join("`" + x for x in (
            str(payments + refunds), _yuan(total), _yuan(refunded), "0.00", "0.00",
            _yuan(total), _yuan(refunded),
        )))  # fmt: skip
        return "\n".join(lines) + "\n"


def platform_certificate(key: rsa.RSAPrivateKey) -> tuple[str, bytes]:
    """A platform certificate for ``key`` (self-signed here; WeChat Pay's are
    issued by Tenpay's CA): its serial number in hex, and the PEM."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (simulated)")])
    serial = x509.random_serial_number()
    now = datetime.now(UTC)
    made = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return f"{serial:X}", made.public_bytes(serialization.Encoding.PEM)


def _expiry(text: object) -> datetime:
    """``time_expire`` if the merchant set one, else two hours (WeChat Pay's default)."""
    if text is None:
        return datetime.now(CST) + timedelta(hours=2)
    return datetime.fromisoformat(str(text))


def _header() -> str:
    from central.providers.wechat import TRADE_BILL_HEADER  # noqa: PLC0415

    return TRADE_BILL_HEADER


def _row(order: SimOrder, state: str, when: datetime, made: SimRefund | None = None) -> str:
    refund = (made.refund_id, made.out_refund_no, _yuan(made.amount)) if made else ("0", "", "0.00")
    cells = (
        when.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"), order.appid, order.mchid, "0", "",
        order.transaction_id, order.out_trade_no, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "NATIVE",
        state, "OTHERS", "CNY", _yuan(order.total if state == "SUCCESS" else 0), "0.00",
        refund[0], refund[1], refund[2], "0.00", "ORIGINAL" if made else "",
        "SUCCESS" if made else "", order.description, "", "0.00", "0.60%",
        _yuan(order.total), refund[2], "",
    )  # fmt: skip
    return ",".join("`" + c for c in cells)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


PAGE = """<!doctype html><html lang="zh"><meta name="viewport" content="width=device-width">
<title>微信支付</title><body style="font-family:sans-serif;text-align:center">
<h1>微信支付 WeChat Pay (simulator)</h1><p>订单 Order {order}</p>
<p style="font-size:2em">￥{amount}</p><p>{status}</p><form method="post">
<button name="pay" value="1" style="font-size:1.5em">确认支付 Pay</button></form></body></html>"""


def planted_row(order_no: str, fen: int, trade_no: str, day: date) -> list[str]:
    """A payment the provider's statement has (planted for a reconciliation test)."""
    when = datetime.combine(day, datetime.min.time(), CST) + timedelta(hours=12)
    order = SimOrder(order_no, "", "", "planted", fen, "", when, "", "SUCCESS", trade_no, when)
    return [cell.lstrip("`") for cell in _row(order, "SUCCESS", when).split(",")]
