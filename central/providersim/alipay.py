"""An Alipay open-API simulator on loopback (当面付): the provider's side of
precreate, query, close, refund, refund query and the trade bill, at
``POST /gateway.do``. Every call's RSA2 signature is checked against the
app's registered public key; every answer is signed with Alipay's key, and
so is every asynchronous notification (a form POST to the order's
``notify_url``, sent again until the merchant answers ``success``, on
Alipay's schedule — 4 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h — compressed
by ``speed``). ``qr_code`` is the simulator's pay page (a real one is
``https://qr.alipay.com/…``); the trade bill is served as its CSV (GBK)
itself rather than inside Alipay's zip. Fault switches as the WeChat Pay
simulator's: ``lost``, ``duplicate``, ``early``, ``down``, ``error_5xx``.
"""

from __future__ import annotations

import io
import json
import secrets
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse

from central.providers import alipay_wire
from central.providers.alipay import BILL_HEADER, fen_of, yuan
from central.providersim.wechat import Faults

CST = timezone(timedelta(hours=8))
SCHEDULE_S = (240, 600, 600, 3600, 7200, 21600, 54000)


@dataclass
class AliOrder:
    out_trade_no: str
    total: int
    subject: str
    notify_url: str
    token: str
    status: str = "WAIT_BUYER_PAY"  # TRADE_SUCCESS, TRADE_CLOSED
    trade_no: str = ""
    paid_at: datetime | None = None
    refunds: dict[str, int] = field(default_factory=dict)  # out_request_no → fen
    refunded_at: dict[str, datetime] = field(default_factory=dict)


class AlipaySim:
    def __init__(self, alipay_key: rsa.RSAPrivateKey, apps: dict[str, rsa.RSAPublicKey],
                 speed: float = 1.0) -> None:  # fmt: skip
        self.alipay_key = alipay_key
        self.apps = apps  # app_id → the app's public key
        self.speed = speed
        self.faults = Faults()
        self.orders: dict[str, AliOrder] = {}
        self.attempts: list[list[str]] = []  # per notification, the merchant's answers
        self.base_url = ""
        self._lock = threading.Lock()
        self.app = self._make_app()

    def _answer(self, method: str, data: dict[str, Any]) -> Response:
        body = alipay_wire.signed_answer(self.alipay_key, method, data)
        return Response(body.encode(), media_type="application/json;charset=utf-8")

    def _error(self, method: str, sub_code: str, sub_msg: str, code: str = "40004") -> Response:
        return self._answer(method, {"code": code, "msg": "Business Failed",
                                     "sub_code": sub_code, "sub_msg": sub_msg})  # fmt: skip

    def _make_app(self) -> FastAPI:
        app = FastAPI(title="Alipay simulator", docs_url=None, redoc_url=None)

        @app.post("/gateway.do")
        async def gateway(request: Request) -> Response:
            params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            method = params.get("method", "")
            if self.faults.down:
                return Response(b"", status_code=503)
            if self.faults.error_5xx > 0:
                self.faults.error_5xx -= 1
                return Response(b"", status_code=500)
            key = self.apps.get(params.get("app_id", ""))
            if key is None:
                return self._error(method, "isv.invalid-app-id", "无效的AppID", "40002")
            try:
                alipay_wire.check_params(key, params)
                biz = json.loads(params.get("biz_content") or "{}")
            except (alipay_wire.BadSignature, ValueError) as exc:
                return self._error(method, "isv.invalid-signature", str(exc), "40002")
            handler = HANDLERS.get(method)
            if handler is None:
                return self._error(method, "isv.invalid-method", method, "40002")
            return handler(self, method, biz, params)

        @app.get("/pay/{token}", response_class=HTMLResponse)
        def page(token: str) -> str:
            order = self._by_token(token)
            if order is None:
                return "<h1>二维码已失效 Expired</h1>"
            return PAGE.format(order=order.out_trade_no, amount=yuan(order.total),
                               status=order.status)  # fmt: skip

        @app.post("/pay/{token}", response_class=HTMLResponse)
        def pay(token: str) -> Response:
            order = self._by_token(token)
            if order is None or not self.pay(order.out_trade_no):
                return HTMLResponse("<h1>无法支付 Cannot pay</h1>", status_code=409)
            return HTMLResponse(page(token))

        @app.get("/bill")
        def bill(app_id: str, day: str) -> Response:
            return Response(self.bill_zip(app_id, date.fromisoformat(day)),
                            media_type="application/zip")  # fmt: skip

        return app

    def _by_token(self, token: str) -> AliOrder | None:
        return next((o for o in self.orders.values() if o.token == token), None)

    def precreate(self, method: str, biz: dict[str, Any], params: dict[str, str]) -> Response:
        try:
            total = fen_of(biz["total_amount"])
            order = AliOrder(str(biz["out_trade_no"]), total, str(biz.get("subject", "")),
                             params.get("notify_url", ""), secrets.token_urlsafe(12))  # fmt: skip
        except (KeyError, ValueError) as exc:
            return self._error(method, "ACQ.INVALID_PARAMETER", f"参数无效: {exc}")
        if total <= 0:
            return self._error(method, "ACQ.INVALID_PARAMETER", "total_amount must be above 0")
        with self._lock:
            known = self.orders.get(order.out_trade_no)
            if known is not None and (known.total != total or known.status != "WAIT_BUYER_PAY"):
                return self._error(method, "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
            if known is None:
                self.orders[order.out_trade_no] = order
            else:
                order = known
        if self.faults.early and known is None:
            self.pay(order.out_trade_no)
        return self._answer(method, {"code": "10000", "msg": "Success",
                                     "out_trade_no": order.out_trade_no,
                                     "qr_code": f"{self.base_url}/pay/{order.token}"})  # fmt: skip

    def query(self, method: str, biz: dict[str, Any], params: dict[str, str]) -> Response:
        order = self.orders.get(str(biz.get("out_trade_no")))
        if order is None:
            return self._error(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        return self._answer(method, {
            "code": "10000", "msg": "Success", "out_trade_no": order.out_trade_no,
            "trade_no": order.trade_no, "trade_status": order.status,
            "total_amount": yuan(order.total),
        })  # fmt: skip

    def close(self, method: str, biz: dict[str, Any], params: dict[str, str]) -> Response:
        with self._lock:
            order = self.orders.get(str(biz.get("out_trade_no")))
            if order is None:
                return self._error(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
            if order.status == "TRADE_SUCCESS":
                return self._error(method, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            order.status = "TRADE_CLOSED"
        return self._answer(method, {"code": "10000", "msg": "Success",
                                     "out_trade_no": order.out_trade_no})  # fmt: skip

    def refund(self, method: str, biz: dict[str, Any], params: dict[str, str]) -> Response:
        request_no = str(biz.get("out_request_no") or biz.get("out_trade_no"))
        with self._lock:
            order = self.orders.get(str(biz.get("out_trade_no")))
            if order is None:
                return self._error(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
            if request_no not in order.refunds:
                try:
                    amount = fen_of(biz["refund_amount"])
                except (KeyError, ValueError) as exc:
                    return self._error(method, "ACQ.INVALID_PARAMETER", str(exc))
                if order.status != "TRADE_SUCCESS":
                    return self._error(method, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
                if not 0 < amount <= order.total - sum(order.refunds.values()):
                    return self._error(method, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
                order.refunds[request_no] = amount
                order.refunded_at[request_no] = datetime.now(CST)
                self._notify(order, {"refund_fee": yuan(sum(order.refunds.values())),
                                     "out_biz_no": request_no,
                                     "gmt_refund": _now()})  # fmt: skip
        return self._answer(method, {
            "code": "10000", "msg": "Success", "out_trade_no": order.out_trade_no,
            "trade_no": order.trade_no, "fund_change": "Y",
            "refund_fee": yuan(sum(order.refunds.values())),
        })  # fmt: skip

    def refund_query(self, method: str, biz: dict[str, Any], params: dict[str, str]) -> Response:
        order = self.orders.get(str(biz.get("out_trade_no")))
        request_no = str(biz.get("out_request_no"))
        if order is None or request_no not in order.refunds:
            return self._answer(method, {"code": "10000", "msg": "Success"})  # none such
        return self._answer(method, {
            "code": "10000", "msg": "Success", "out_trade_no": order.out_trade_no,
            "out_request_no": request_no, "refund_amount": yuan(order.refunds[request_no]),
            "total_amount": yuan(order.total), "refund_status": "REFUND_SUCCESS",
        })  # fmt: skip

    def bill_url(self, method: str, biz: dict[str, Any], params: dict[str, str]) -> Response:
        day = str(biz.get("bill_date"))
        return self._answer(method, {"code": "10000", "msg": "Success",
                                     "bill_download_url": f"{self.base_url}/bill?app_id="
                                     f"{params['app_id']}&day={day}"})  # fmt: skip

    def pay(self, out_trade_no: str) -> bool:
        with self._lock:
            order = self.orders.get(out_trade_no)
            if order is None or order.status != "WAIT_BUYER_PAY":
                return False
            order.status, order.paid_at = "TRADE_SUCCESS", datetime.now(CST)
            order.trade_no = f"2026{secrets.randbelow(10**24):024d}"
        self._notify(order, {})
        return True

    def notification(self, order: AliOrder, more: dict[str, str], app_id: str) -> dict[str, str]:
        """A notification's form fields, signed."""
        params = {
            "notify_time": _now(), "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16), "app_id": app_id, "charset": "utf-8",
            "version": "1.0", "trade_no": order.trade_no, "out_trade_no": order.out_trade_no,
            "trade_status": order.status, "total_amount": yuan(order.total),
            "receipt_amount": yuan(order.total), "buyer_pay_amount": yuan(order.total),
            "gmt_payment": order.paid_at.strftime("%Y-%m-%d %H:%M:%S") if order.paid_at else "",
            "subject": order.subject, **more,
        }  # fmt: skip
        message = alipay_wire.unsigned(params, ("sign", "sign_type"))
        return {**params, "sign_type": "RSA2", "sign": alipay_wire.sign(self.alipay_key, message)}

    def _notify(self, order: AliOrder, more: dict[str, str]) -> None:
        if self.faults.lost or not order.notify_url:
            return
        app_id = next(iter(self.apps))
        form = self.notification(order, more, app_id)
        answers: list[str] = []
        self.attempts.append(answers)
        for _ in range(2 if self.faults.duplicate else 1):
            threading.Thread(target=self._deliver, args=(order.notify_url, form, answers),
                             daemon=True).start()  # fmt: skip

    def _deliver(self, url: str, form: dict[str, str], answers: list[str]) -> None:
        for wait in (0, *SCHEDULE_S):
            time.sleep(wait * self.speed)
            try:
                text = requests.post(url, data=form, timeout=5).text.strip()
            except requests.RequestException:
                text = ""
            answers.append(text)
            if text == "success":
                return

    def bill_zip(self, app_id: str, day: str | date) -> bytes:
        """The day's bill as Alipay serves it: a zip of two GBK CSV files, the
        detail (业务明细) and the summary (业务明细(汇总))."""
        day = date.fromisoformat(day) if isinstance(day, str) else day
        detail = self.trade_bill(day)
        rows = [x for x in detail.splitlines() if x and not x.startswith("#")][1:]
        total = sum(fen_of(r.split(",")[6]) for r in rows)  # refunds are negative
        sign = "-" if total < 0 else ""
        summary = (
            "#支付宝业务汇总查询\n门店编号,门店名称,交易订单总笔数,交易额（元）\n"
            f",,{len(rows)},{sign}{yuan(abs(total))}\n#支付宝业务汇总列表结束\n"
        )
        stamp = day.strftime("%Y%m%d")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr(f"{app_id}_{stamp}_业务明细.csv", detail.encode("gbk"))
            bundle.writestr(f"{app_id}_{stamp}_业务明细(汇总).csv", summary.encode("gbk"))
        return out.getvalue()

    def trade_bill(self, day: date) -> str:
        lines = ["#支付宝业务明细查询", f"#账号：[{next(iter(self.apps))}]",
                 f"#起始日期：[{day.isoformat()} 00:00:00]", BILL_HEADER]  # fmt: skip
        for order in self.orders.values():
            if order.paid_at is not None and order.paid_at.date() == day:
                lines.append(",".join((order.trade_no, order.out_trade_no, "交易", order.subject,
                                       _at(order.paid_at), _at(order.paid_at),
                                       yuan(order.total), "")))  # fmt: skip
            for request_no, fen in order.refunds.items():
                when = order.refunded_at[request_no]
                if when.date() == day:
                    lines.append(",".join((order.trade_no, order.out_trade_no, "退款",
                                           order.subject, _at(when), _at(when), f"-{yuan(fen)}",
                                           request_no)))  # fmt: skip
        lines.append("#支付宝业务明细列表结束")
        return "\n".join(lines) + "\n"


def _now() -> str:
    return datetime.now(CST).strftime("%Y-%m-%d %H:%M:%S")


def _at(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


HANDLERS = {
    "alipay.trade.precreate": AlipaySim.precreate,
    "alipay.trade.query": AlipaySim.query,
    "alipay.trade.close": AlipaySim.close,
    "alipay.trade.refund": AlipaySim.refund,
    "alipay.trade.fastpay.refund.query": AlipaySim.refund_query,
    "alipay.data.dataservice.bill.downloadurl.query": AlipaySim.bill_url,
}
PAGE = """<!doctype html><html lang="zh"><meta name="viewport" content="width=device-width">
<title>支付宝</title><body style="font-family:sans-serif;text-align:center">
<h1>支付宝 Alipay (simulator)</h1><p>订单 Order {order}</p>
<p style="font-size:2em">￥{amount}</p><p>{status}</p><form method="post">
<button name="pay" value="1" style="font-size:1.5em">确认付款 Pay</button></form></body></html>"""
