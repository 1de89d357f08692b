"""Alipay 当面付 (precreate), as the merchant: every call's parameters signed
RSA2 with the app's private key, every answer and notification checked
with Alipay's public key.

Calls (POSTed to the gateway, ``https://openapi.alipay.com/gateway.do`` in
production; the simulator's on loopback for the demo and the tests):
``alipay.trade.precreate`` (→ ``qr_code``), ``alipay.trade.query``,
``alipay.trade.close``, ``alipay.trade.refund``,
``alipay.trade.fastpay.refund.query``, and
``alipay.data.dataservice.bill.downloadurl.query`` for the day's bill. The
asynchronous notification is a form POST answered with ``success``."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import parse_qsl

from central.providers import alipay_wire, keys, wechat_wire
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

CST = timezone(timedelta(hours=8))
STATES: dict[str, Status] = {
    "WAIT_BUYER_PAY": "created", "TRADE_SUCCESS": "paid", "TRADE_FINISHED": "paid",
    "TRADE_CLOSED": "closed",
}  # fmt: skip
MAX_BILL_BYTES = 64 * 1024 * 1024  # one member of the bill zip, unpacked
BILL_HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,订单金额（元）,退款批次号/请求号"
)


@dataclass(frozen=True, slots=True)
class AlipaySettings:
    gateway: str
    app_id: str
    app_key_file: str  # the app's private key (PEM, 0600)
    alipay_public_key_file: str  # Alipay's public key (PEM)
    notify_url: str
    timeout_s: float = 5.0


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def fen_of(text: object) -> int:
    try:
        value = Decimal(str(text)) * 100
    except InvalidOperation:
        raise ValueError(f"not an amount in yuan: {text!r}") from None
    if value != value.to_integral_value():
        raise ValueError(f"not whole fen: {text!r}")
    return int(value)


class Alipay:
    name = "alipay"

    def __init__(self, settings: AlipaySettings) -> None:
        self.settings = settings
        self._key = wechat_wire.load_private(keys.secret(settings.app_key_file))
        self._alipay = wechat_wire.load_public(keys.public(settings.alipay_public_key_file))
        self._http = Gateway(settings.timeout_s)

    def __repr__(self) -> str:  # the keys never reach a log line
        return f"Alipay(app_id={self.settings.app_id!r}, gateway={self.settings.gateway!r})"

    def _call(self, method: str, biz: dict[str, Any], notify: bool = False) -> dict[str, Any]:
        params = {
            "app_id": self.settings.app_id, "method": method, "format": "JSON",
            "charset": "utf-8", "sign_type": "RSA2", "version": "1.0",
            "timestamp": datetime.now(CST).strftime("%Y-%m-%d %H:%M:%S"),
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
        }  # fmt: skip
        if notify:
            params["notify_url"] = self.settings.notify_url
        got = self._http.post_form(self.settings.gateway,
                                   alipay_wire.signed_params(self._key, params))  # fmt: skip
        if got.status >= 500:
            raise ProviderError("SYSTEM_ERROR", f"HTTP {got.status}", retry=True)
        try:
            answer = alipay_wire.check_answer(self._alipay, method, got.text)
        except alipay_wire.BadSignature as exc:
            raise ProviderError("BAD_SIGNATURE", f"not Alipay's answer: {exc}") from None
        if answer.get("code") != "10000":
            code = str(answer.get("sub_code") or answer.get("code"))
            raise ProviderError(code, str(answer.get("sub_msg") or answer.get("msg")),
                                retry=answer.get("code") == "20000")  # fmt: skip
        return answer

    def create(self, order_id: str, amount_fen: int, description: str) -> str:
        answer = self._call("alipay.trade.precreate", {
            "out_trade_no": order_id, "total_amount": yuan(amount_fen),
            "subject": description[:256], "timeout_express": "10m",
        }, notify=True)  # fmt: skip
        qr = answer.get("qr_code")
        if not isinstance(qr, str) or not qr:
            raise ProviderError("BAD_ANSWER", "no qr_code in the answer")
        return qr

    def query(self, order_id: str) -> ProviderOrder:
        answer = self._call("alipay.trade.query", {"out_trade_no": order_id})
        try:
            state = STATES[str(answer["trade_status"])]
            return ProviderOrder(order_id, state, fen_of(answer["total_amount"]),
                                 trade_no=str(answer.get("trade_no") or "") or None)  # fmt: skip
        except (KeyError, ValueError) as exc:
            raise ProviderError("BAD_ANSWER", f"not an order: {exc}") from None

    def close(self, order_id: str) -> None:
        try:
            self._call("alipay.trade.close", {"out_trade_no": order_id})
        except ProviderError as exc:
            if exc.code == "ACQ.TRADE_STATUS_ERROR":
                raise ProviderError("paid", "paid before it could be closed") from None
            if exc.code != "ACQ.TRADE_NOT_EXIST":  # never scanned: nothing to close
                raise

    def refund(
        self, order_id: str, refund_id: str, amount_fen: int, total_fen: int, reason: str
    ) -> ProviderRefund:
        answer = self._call("alipay.trade.refund", {
            "out_trade_no": order_id, "refund_amount": yuan(amount_fen),
            "out_request_no": refund_id, "refund_reason": reason[:256],
        })  # fmt: skip
        done = answer.get("fund_change") == "Y" or "refund_fee" in answer
        return ProviderRefund(refund_id, order_id, "done" if done else "processing", amount_fen)

    def query_refund(self, order_id: str, refund_id: str) -> ProviderRefund:
        answer = self._call("alipay.trade.fastpay.refund.query",
                            {"out_trade_no": order_id, "out_request_no": refund_id})  # fmt: skip
        status: Literal["done", "processing"] = (
            "done" if answer.get("refund_status") == "REFUND_SUCCESS" else "processing"
        )
        try:
            fen = fen_of(answer.get("refund_amount", "0"))
        except ValueError as exc:
            raise ProviderError("BAD_ANSWER", str(exc)) from None
        return ProviderRefund(refund_id, order_id, status, fen)

    def notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        params = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        try:
            alipay_wire.check_params(self._alipay, params, notification=True)
        except alipay_wire.BadSignature as exc:
            raise BadNotification("signature", str(exc)) from None
        if params.get("app_id") != self.settings.app_id:
            raise BadNotification("merchant", f"for app_id {params.get('app_id')!r}")
        try:
            order_id = params["out_trade_no"]
            if params.get("refund_fee") and params.get("out_biz_no"):
                return Notification("refunded", order_id, fen_of(params["refund_fee"]),
                                    self.settings.app_id, trade_no=params.get("trade_no"),
                                    refund_id=params["out_biz_no"],
                                    event_id=params.get("notify_id"))  # fmt: skip
            if params.get("trade_status") in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                return Notification("paid", order_id, fen_of(params["total_amount"]),
                                    self.settings.app_id, trade_no=params.get("trade_no"),
                                    event_id=params.get("notify_id"))  # fmt: skip
        except (KeyError, ValueError) as exc:
            raise BadNotification("malformed", str(exc)) from None
        raise BadNotification("event", f"trade_status {params.get('trade_status')!r}")

    def answer(self, ok: bool, why: str = "") -> Answer:
        """``success`` takes it; anything else makes Alipay send it again later."""
        return Answer(200, b"success" if ok else b"fail", "text/plain")

    def statement(self, day: date) -> list[StatementRow]:
        answer = self._call("alipay.data.dataservice.bill.downloadurl.query",
                            {"bill_type": "trade", "bill_date": day.isoformat()})  # fmt: skip
        url = answer.get("bill_download_url")
        if not isinstance(url, str):
            raise ProviderError("BAD_ANSWER", "no bill_download_url")
        got = self._http.request("GET", url, slow=4)
        if got.status != 200:
            raise ProviderError("SYSTEM_ERROR", f"bill download: HTTP {got.status}")
        return parse_bill_zip(got.content)


def parse_bill_zip(content: bytes) -> list[StatementRow]:
    """The bill as downloaded: a zip whose detail CSV (业务明细; beside it the
    summary, 汇总) is the trade bill. Members are told apart by their header,
    not their names (Alipay's names are GBK without the zip's UTF-8 flag)."""
    try:
        bundle = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise ProviderError("BAD_ANSWER", "the bill is not a zip") from None
    with bundle:
        for member in bundle.infolist():
            if member.file_size > MAX_BILL_BYTES:
                raise ProviderError("BAD_ANSWER", f"{member.filename}: too large")
            try:
                return parse_bill(bundle.read(member).decode("gbk"))
            except (ProviderError, UnicodeDecodeError):
                continue
    raise ProviderError("BAD_ANSWER", "no trade bill in the zip")


def parse_bill(text: str) -> list[StatementRow]:
    """The trade bill's detail CSV (GBK): ``#`` comment lines, a header, a row
    per payment (业务类型 交易) or refund (退款), then the totals."""
    rows = [r for r in csv.reader(io.StringIO(text)) if r and not r[0].startswith("#")]
    if not rows or ",".join(cell.strip() for cell in rows[0]) != BILL_HEADER:
        raise ProviderError("BAD_ANSWER", "not an Alipay trade bill")
    out = []
    for row in rows[1:]:
        cells = [cell.strip() for cell in row]
        if len(cells) < 8 or cells[2] not in ("交易", "退款"):
            continue
        fen = abs(fen_of(cells[6]))
        if cells[2] == "交易":
            out.append(StatementRow("payment", cells[1], fen, cells[0]))
        else:
            out.append(StatementRow("refund", cells[1], fen, cells[0], refund_id=cells[7]))
    return out
