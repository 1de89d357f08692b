"""WeChat Pay API v3, Native payment, as the merchant: every request signed
with the merchant key, every answer checked against the platform's key named
by ``Wechatpay-Serial``: the platform public key (public-key mode: the serial
is the key's id) or the platform certificates (certificate mode: downloaded
from ``/v3/certificates``, decrypted with the APIv3 key, fetched again when a
new serial signs), the notification's resource decrypted with the APIv3 key.

Calls: ``POST /v3/pay/transactions/native`` (→ ``code_url``),
``GET /v3/pay/transactions/out-trade-no/{no}``, ``POST …/{no}/close``,
``POST /v3/refund/domestic/refunds``, ``GET /v3/refund/domestic/refunds/{no}``,
``GET /v3/bill/tradebill`` and its download. The gateway's URL is a setting
(``https://api.mch.weixin.qq.com`` in production; the simulator's on
loopback for the demo and the tests)."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from central.providers import keys, wechat_wire
from central.providers.base import (
    Answer,
    BadNotification,
    Notification,
    ProviderError,
    ProviderOrder,
    ProviderRefund,
    StatementRow,
    Status,
)  # fmt: skip
from central.providers.gateway import Gateway

STATES: dict[str, Status] = {
    "NOTPAY": "created", "USERPAYING": "created", "SUCCESS": "paid", "CLOSED": "closed",
    "REVOKED": "closed", "PAYERROR": "closed", "REFUND": "refunded",
}  # fmt: skip
REFUNDS = {"PROCESSING": "processing", "SUCCESS": "done", "ABNORMAL": "failed", "CLOSED": "failed"}
ORDER_MINUTES = 10  # a QR code is good for this long
REFRESH_EVERY_S = 5.0  # certificate mode: the certificates fetched at most this often


@dataclass(frozen=True, slots=True)
class WechatSettings:
    gateway: str
    mchid: str
    appid: str
    merchant_serial: str  # the merchant certificate's serial number
    merchant_key_file: str  # its private key (PEM, 0600)
    apiv3_key_file: str  # the APIv3 key: 32 characters (0600)
    notify_url: str
    timeout_s: float = 5.0
    # how answers and notifications are checked: "public_key" (the platform
    # public key below, WeChat Pay's newer mode) or "certificate" (the platform
    # certificates, downloaded from /v3/certificates and decrypted with the
    # APIv3 key; fetched again when an unknown serial signs: a rotation)
    platform_mode: str = "public_key"
    platform_key_id: str = ""  # public-key mode: the key's id (PUB_KEY_ID_…)
    platform_key_file: str = ""  # public-key mode: the key (PEM)


def certificates(data: Any, apiv3_key: bytes) -> dict[str, rsa.RSAPublicKey]:
    """``/v3/certificates``' answer: serial number → public key of each
    certificate that decrypts, names the serial it is listed under, and is
    valid now."""
    found: dict[str, rsa.RSAPublicKey] = {}
    now = datetime.now(UTC)
    for item in data["data"]:
        pem = wechat_wire.decrypt(apiv3_key, item["encrypt_certificate"])
        cert = x509.load_pem_x509_certificate(pem.encode())
        if f"{cert.serial_number:X}" != str(item["serial_no"]).upper():
            raise ValueError(f"certificate {item['serial_no']}: another serial inside")
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            continue
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError(f"certificate {item['serial_no']}: not an RSA key")
        found[str(item["serial_no"])] = key
    return found


class WechatPay:
    name = "wechat"

    def __init__(self, settings: WechatSettings) -> None:
        self.settings = settings
        self._key = wechat_wire.load_private(keys.secret(settings.merchant_key_file))
        self._platform: dict[str, rsa.RSAPublicKey] = {}
        self._refreshed = -REFRESH_EVERY_S
        if settings.platform_mode == "public_key":
            if not (settings.platform_key_id and settings.platform_key_file):
                raise ValueError("public-key mode needs platform_key_id and platform_key_file")
            self._platform[settings.platform_key_id] = wechat_wire.load_public(
                keys.public(settings.platform_key_file)
            )
        elif settings.platform_mode != "certificate":
            raise ValueError(f"platform_mode: {settings.platform_mode!r}, not public_key or "
                             "certificate")  # fmt: skip
        self._apiv3 = keys.secret(settings.apiv3_key_file).strip()
        if len(self._apiv3) != 32:
            raise ValueError("the APIv3 key is not 32 characters")
        self._http = Gateway(settings.timeout_s)

    def __repr__(self) -> str:  # the keys never reach a log line
        return f"WechatPay(mchid={self.settings.mchid!r}, gateway={self.settings.gateway!r})"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body else ""
        auth = wechat_wire.authorization(
            self._key, self.settings.mchid, self.settings.merchant_serial, method, path, text
        )
        headers = {"Authorization": auth, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        answer = self._http.request(method, self.settings.gateway + path, text.encode() or None,
                                    headers)  # fmt: skip
        if answer.status >= 500:
            raise ProviderError("SYSTEM_ERROR", f"HTTP {answer.status}", retry=True)
        try:
            wechat_wire.check_answer(answer.headers, answer.text, self._keys_for(answer.headers))
        except wechat_wire.BadSignature as exc:
            raise ProviderError("BAD_SIGNATURE", f"not the platform's answer: {exc}") from None
        data = json.loads(answer.text) if answer.text else {}
        if answer.status >= 400:
            code = str(data.get("code", answer.status)) if isinstance(data, dict) else "?"
            message = str(data.get("message", "")) if isinstance(data, dict) else answer.text
            raise ProviderError(code, message)
        return answer.status, data

    def _keys_for(self, headers: Mapping[str, str]) -> dict[str, rsa.RSAPublicKey]:
        """The platform keys to check a signature with; in certificate mode an
        unknown serial fetches the certificates first (at most every
        ``REFRESH_EVERY_S``: a forger's serials cannot hammer the gateway)."""
        serial = headers.get("Wechatpay-Serial")
        wanted = self.settings.platform_mode == "certificate" and serial not in self._platform
        if wanted and time.monotonic() - self._refreshed >= REFRESH_EVERY_S:
            self.refresh_certificates()
        return self._platform

    def refresh_certificates(self) -> list[str]:
        """Download the platform certificates (``GET /v3/certificates``), each
        decrypted with the APIv3 key and still valid, the answer itself checked
        against them (only the APIv3 key's holder could have sealed them): the
        serial numbers now known."""
        self._refreshed = time.monotonic()
        path = "/v3/certificates"
        auth = wechat_wire.authorization(
            self._key, self.settings.mchid, self.settings.merchant_serial, "GET", path, ""
        )
        asked = {"Authorization": auth, "Accept": "application/json"}
        answer = self._http.request("GET", self.settings.gateway + path, headers=asked)
        if answer.status != 200:
            raise ProviderError("SYSTEM_ERROR", f"certificates: HTTP {answer.status}", True)
        try:
            found = certificates(json.loads(answer.content), self._apiv3)
            wechat_wire.check_answer(answer.headers, answer.text, found)
        except (ValueError, KeyError, TypeError, wechat_wire.BadSignature) as exc:
            raise ProviderError("BAD_CERTIFICATES", str(exc)) from None
        self._platform.update(found)
        return sorted(found)

    def create(self, order_id: str, amount_fen: int, description: str) -> str:
        expire = datetime.now().astimezone() + timedelta(minutes=ORDER_MINUTES)
        _, data = self._call("POST", "/v3/pay/transactions/native", {
            "appid": self.settings.appid, "mchid": self.settings.mchid,
            "description": description[:127], "out_trade_no": order_id,
            "time_expire": expire.isoformat(timespec="seconds"),
            "notify_url": self.settings.notify_url,
            "amount": {"total": amount_fen, "currency": "CNY"},
        })  # fmt: skip
        code_url = data.get("code_url") if isinstance(data, dict) else None
        if not isinstance(code_url, str) or not code_url:
            raise ProviderError("BAD_ANSWER", "no code_url in the answer")
        return code_url

    def query(self, order_id: str) -> ProviderOrder:
        path = f"/v3/pay/transactions/out-trade-no/{order_id}?" + urlencode(
            {"mchid": self.settings.mchid}
        )
        _, data = self._call("GET", path)
        return _order(data)

    def close(self, order_id: str) -> None:
        path = f"/v3/pay/transactions/out-trade-no/{order_id}/close"
        try:
            self._call("POST", path, {"mchid": self.settings.mchid})
        except ProviderError as exc:
            if exc.code == "ORDERPAID":
                raise ProviderError(
                    "paid", "the order was paid before it could be closed"
                ) from None
            raise

    def refund(
        self, order_id: str, refund_id: str, amount_fen: int, total_fen: int, reason: str
    ) -> ProviderRefund:
        _, data = self._call("POST", "/v3/refund/domestic/refunds", {
            "out_trade_no": order_id, "out_refund_no": refund_id, "reason": reason[:80],
            "notify_url": self.settings.notify_url,
            "amount": {"refund": amount_fen, "total": total_fen, "currency": "CNY"},
        })  # fmt: skip
        return _refund(data)

    def query_refund(self, order_id: str, refund_id: str) -> ProviderRefund:
        _, data = self._call("GET", f"/v3/refund/domestic/refunds/{refund_id}")
        return _refund(data)

    def notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        text = body.decode("utf-8", errors="replace")
        try:
            platform = self._keys_for(headers)
        except ProviderError as exc:  # the certificates could not be fetched: sent again later
            raise BadNotification("signature", f"platform certificates: {exc}") from None
        try:
            wechat_wire.check_answer(headers, text, platform)
        except wechat_wire.BadSignature as exc:
            reason = "stale" if "timestamp" in str(exc) else "signature"
            raise BadNotification(reason, str(exc)) from None
        try:
            event = json.loads(text)
            plain = wechat_wire.decrypt(self._apiv3, event["resource"])
            resource = json.loads(plain)
            kind = str(event["event_type"])
        except wechat_wire.BadSignature as exc:
            raise BadNotification("decrypt", str(exc)) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise BadNotification("malformed", str(exc)) from None
        if resource.get("mchid") != self.settings.mchid:
            raise BadNotification("merchant", f"for mchid {resource.get('mchid')!r}")
        try:
            if kind == "TRANSACTION.SUCCESS":
                if resource.get("appid") != self.settings.appid:
                    raise BadNotification("merchant", f"for appid {resource.get('appid')!r}")
                return Notification(
                    "paid", str(resource["out_trade_no"]), int(resource["amount"]["total"]),
                    self.settings.mchid, trade_no=str(resource["transaction_id"]),
                    event_id=str(event.get("id", "")),
                )  # fmt: skip
            if kind == "REFUND.SUCCESS":
                return Notification(
                    "refunded", str(resource["out_trade_no"]), int(resource["amount"]["refund"]),
                    self.settings.mchid, trade_no=str(resource.get("transaction_id", "")),
                    refund_id=str(resource["out_refund_no"]), event_id=str(event.get("id", "")),
                )  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise BadNotification("malformed", str(exc)) from None
        raise BadNotification("event", f"not a payment or refund event: {kind!r}")

    def answer(self, ok: bool, why: str = "") -> Answer:
        """v3: 200 with no body is success; anything else makes WeChat Pay retry."""
        if ok:
            return Answer(204, b"", "application/json")
        body = json.dumps({"code": "FAIL", "message": why or "失败"}, ensure_ascii=False)
        return Answer(400, body.encode(), "application/json")

    def statement(self, day: date) -> list[StatementRow]:
        query = urlencode({"bill_date": day.isoformat(), "bill_type": "ALL"})
        _, data = self._call("GET", f"/v3/bill/tradebill?{query}")
        url = data.get("download_url") if isinstance(data, dict) else None
        if not isinstance(url, str):
            raise ProviderError("BAD_ANSWER", "no download_url")
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        auth = wechat_wire.authorization(
            self._key, self.settings.mchid, self.settings.merchant_serial, "GET", path, ""
        )
        got = self._http.request("GET", self.settings.gateway + path,
                                 headers={"Authorization": auth}, slow=4)  # fmt: skip
        if got.status != 200:
            raise ProviderError("SYSTEM_ERROR", f"bill download: HTTP {got.status}")
        return parse_trade_bill(got.content.decode("utf-8-sig"))


def _order(data: Any) -> ProviderOrder:
    try:
        state = STATES.get(str(data["trade_state"]))
        if state is None:
            raise ValueError(f"trade_state {data['trade_state']!r}")
        paid = data.get("success_time")
        return ProviderOrder(
            str(data["out_trade_no"]), state, int(data["amount"]["total"]),
            trade_no=data.get("transaction_id") or None,
            paid_at=datetime.fromisoformat(paid) if isinstance(paid, str) else None,
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise ProviderError("BAD_ANSWER", f"not an order: {exc}") from None


def _refund(data: Any) -> ProviderRefund:
    try:
        status = REFUNDS.get(str(data["status"]))
        if status is None:
            raise ValueError(f"status {data['status']!r}")
        return ProviderRefund(
            str(data["out_refund_no"]), str(data["out_trade_no"]),
            status,  # type: ignore[arg-type]
            int(data["amount"]["refund"]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise ProviderError("BAD_ANSWER", f"not a refund: {exc}") from None


TRADE_BILL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)


def parse_trade_bill(text: str) -> list[StatementRow]:
    """The trade bill (交易账单): a header, one row per payment or refund with
    every field behind a backtick, then the totals. Amounts in yuan."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or ",".join(rows[0]) != TRADE_BILL_HEADER:
        raise ProviderError("BAD_ANSWER", "not a WeChat Pay trade bill")
    out = []
    for row in rows[1:]:
        if len(row) < 17 or not row[0].startswith("`"):
            break  # the totals
        field = [cell.lstrip("`") for cell in row]
        state, order, trade = field[9], field[6], field[5]
        if state == "SUCCESS":
            out.append(StatementRow("payment", order, _fen(field[12]), trade))
        elif state == "REFUND":
            out.append(StatementRow("refund", order, _fen(field[16]), trade, refund_id=field[15]))
    return out


def _fen(yuan: str) -> int:
    return int((Decimal(yuan) * 100).to_integral_exact())
