"""Receipts, credit vouchers and the maintenance menu's printouts (test page,
cash collection report), built from journal records.

The record is the truth: a reprint months later prints the same receipt.
Rules: the account number is masked but for its last four characters; a card
shows only what the card driver gave (BIN and last four); amounts carry the
full-width ￥ (GBK printers have no ¥); every receipt ends with its
transaction id, a QR code of its verification link and the hotline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from config.settings import Settings
from drivers.printer.document import Align, Block, Document, Feed, QrCode, Row, Rule, Text
from kiosk.money import FormatStyle, Language, Money

METHODS = {
    "cash": ("现金", "Cash"),
    "card": ("银行卡", "Bank card"),
    "wechat": ("微信支付", "WeChat Pay"),
    "alipay": ("支付宝", "Alipay"),
    "unionpay_qr": ("云闪付", "UnionPay QR"),
}
EXCESS = {
    "account_credit": ("已存入账户预存款", "credited to your account"),
    "voucher": ("见退款凭证", "see the credit voucher"),
}
LABELS = {
    "title": ("缴费凭证", "PAYMENT RECEIPT"),
    "kiosk": ("终端", "Kiosk"),
    "place": ("地点", "Location"),
    "time": ("时间", "Time"),
    "service": ("业务", "Service"),
    "account": ("户号", "Account"),
    "holder": ("户名", "Name"),
    "discount": ("优惠", "Discount"),
    "credit": ("预存款抵扣", "Credit applied"),
    "due": ("应缴", "Amount due"),
    "bought": ("购买", "Bought"),
    "paid": ("实缴", "Paid"),
    "method": ("支付方式", "Payment"),
    "tendered": ("收款", "Received"),
    "excess": ("余额", "Balance"),
    "card": ("卡号", "Card"),
    "auth": ("授权码", "Auth code"),
    "order": ("订单号", "Order"),
    "transaction": ("交易号", "Transaction"),
    "scan": ("扫码查验电子凭证", "Scan to verify this receipt"),
    "hotline": ("客服热线", "Hotline"),
    "keep": ("请妥善保管本凭证", "Please keep this receipt"),
    "partial": ("部分缴费", "Part payment"),
    "recovered": ("补打凭证", "Receipt issued after recovery"),
    "voucher": ("退款凭证", "CREDIT VOUCHER"),
    "voucher_amount": ("退款金额", "Amount"),
    "voucher_claim": (
        "凭此凭证到营业厅或致电客服热线退款",
        "Claim it at a service hall or call the hotline",
    ),
    "test_page": ("打印测试页", "PRINTER TEST PAGE"),
    "test_profile": ("打印机型号", "Printer profile"),
    "test_chars": ("中文字符测试：缴费凭证￥", "Latin: The quick brown fox 0123456789"),
    "test_ok": ("如以上各行清晰，打印机正常", "If every line above is clear, the printer is fine"),
    "collection": ("现金清点报告", "CASH COLLECTION REPORT"),
    "since": ("上次清点", "Since"),
    "first_period": ("首次清点", "first collection"),
    "notes": ("张数", "Notes"),
    "journal_total": ("系统合计", "Journal total"),
    "counted": ("实点金额", "Counted"),
    "difference": ("差额", "Difference"),
    "collector": ("清点人", "Collected by"),
    "signature": ("签名：____________", "Signature: ____________"),
    "record": ("记录号", "Record"),
}


def mask_account(account: str | None) -> str:
    if not account:
        return "-"
    return "*" * max(0, len(account) - 4) + account[-4:]


class _Words:
    def __init__(self, lang: Language) -> None:
        self.lang = lang

    def __call__(self, key: str) -> str:
        zh, en = LABELS[key]
        return zh if self.lang is Language.ZH else en

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.lang is Language.ZH else pair[1]

    def money(self, data: object) -> str:
        return Money.from_json(data).format(self.lang, FormatStyle.PRINTER)


def _header(
    settings: Settings, w: _Words, at: str, title: str, *, loud: bool = False
) -> list[Block]:
    kiosk = settings.kiosk
    local = datetime.fromisoformat(at).astimezone(ZoneInfo(kiosk.timezone))
    operator = kiosk.operator_name_zh if w.lang is Language.ZH else kiosk.operator_name_en
    place = kiosk.location if w.lang is Language.ZH else kiosk.location_en or kiosk.location
    return [
        Text(operator, bold=True, large=w.lang is Language.ZH, align=Align.CENTER),
        Text(title, bold=True, large=loud, align=Align.CENTER),
        Rule(),
        Row(w("kiosk"), kiosk.id),
        Text(f"{w('place')} {place}"),
        Row(w("time"), local.strftime("%Y-%m-%d %H:%M:%S")),
        Rule(),
    ]


def _footer(settings: Settings, w: _Words, transaction: str) -> list[Block]:
    return [
        Rule(),
        # 32 hex digits: one line even on 58 mm paper; the QR carries the link
        Row(w("transaction"), transaction.replace("-", "")),
        QrCode(settings.kiosk.receipt_url.format(transaction=transaction)),
        Text(w("scan"), align=Align.CENTER),
        Text(f"{w('hotline')} {settings.kiosk.hotline}", bold=True, align=Align.CENTER),
        Text(w("keep"), align=Align.CENTER),
        Feed(),
    ]


def receipt(
    settings: Settings, data: dict[str, Any], at: str, transaction: str, lang: Language
) -> Document:
    """The receipt of a ``payment_completed`` record."""
    w = _Words(lang)
    details: dict[str, Any] = data.get("details") or {}
    service = settings.services.get(str(data.get("service")))
    name = (service.name_zh if lang is Language.ZH else service.name_en) if service else "-"
    blocks = _header(settings, w, at, w("recovered") if data.get("recovered") else w("title"))
    blocks += [Row(w("service"), name), Row(w("account"), mask_account(data.get("account")))]
    bill = details.get("bill") or {}
    if bill.get("holder"):
        blocks.append(Row(w("holder"), bill["holder"]))
    blocks += _bill_lines(w, bill)
    blocks += _purchase_lines(w, details)
    blocks += _payment_lines(w, data, details)
    return Document(tuple(blocks + _footer(settings, w, transaction)))


def _bill_lines(w: _Words, bill: dict[str, Any]) -> list[Block]:
    lines = bill.get("lines") or []
    if not lines:
        return []
    blocks: list[Block] = [Rule()]
    due = Money.zero()
    for line in lines:
        label = line["zh"] if w.lang is Language.ZH else line["en"]
        blocks.append(Row(label, w.money(line["amount"])))
        due = due + Money.from_json(line["amount"])
    if bill.get("discount"):
        blocks.append(Row(w("discount"), "-" + w.money(bill["discount"])))
        due = due - Money.from_json(bill["discount"])
    if bill.get("credit"):
        blocks.append(Row(w("credit"), "-" + w.money(bill["credit"])))
        due = due - Money.from_json(bill["credit"])
    blocks.append(Row(w("due"), due.format(w.lang, FormatStyle.PRINTER), bold=True))
    return blocks


def _purchase_lines(w: _Words, details: dict[str, Any]) -> list[Block]:
    if "units" not in details:
        return []
    unit = details.get("unit", "")
    blocks: list[Block] = [Rule(), Row(w("bought"), f"{details['units']} {unit}", bold=True)]
    for tier in details.get("tiers") or []:
        label = (
            f"  第{tier['tier']}档 {tier['units']}{unit}×￥{tier['price']}"
            if w.lang is Language.ZH
            else f"  Tier {tier['tier']}: {tier['units']} {unit} x {tier['price']}"
        )
        blocks.append(Row(label, Money(tier["fen"]).format(w.lang, FormatStyle.PRINTER)))
    return blocks


def _payment_lines(w: _Words, data: dict[str, Any], details: dict[str, Any]) -> list[Block]:
    method = str(data.get("method"))
    blocks: list[Block] = [
        Rule(),
        Row(w("paid") + (f" ({w('partial')})" if details.get("partial") else ""),
            w.money(data["amount"]), bold=True),
        Row(w("method"), w.pick(METHODS.get(method, (method, method)))),
    ]  # fmt: skip
    if method == "cash":
        blocks.append(Row(w("tendered"), w.money(data["tendered"])))
    excess = Money.from_json(data["excess"])
    if excess.is_positive():
        to = w.pick(EXCESS.get(str(data.get("excess_to")), ("", "")))
        blocks.append(Row(w("excess"), f"{excess.format(w.lang, FormatStyle.PRINTER)} {to}"))
    if details.get("masked_pan"):
        blocks.append(Row(w("card"), str(details["masked_pan"])))
        blocks.append(Row(w("auth"), str(details.get("auth_code", ""))))
    if details.get("order_id"):
        blocks.append(Row(w("order"), str(details["order_id"])))
    return blocks


def voucher(
    settings: Settings, amount: Money, at: str, transaction: str, lang: Language
) -> Document:
    """A credit voucher for cash the kiosk keeps for the customer."""
    w = _Words(lang)
    blocks = _header(settings, w, at, w("voucher"), loud=True)
    blocks += [
        Text(w("voucher_amount"), align=Align.CENTER),
        Text(amount.format(lang, FormatStyle.PRINTER), bold=True, large=True, align=Align.CENTER),
        Text(w("voucher_claim"), align=Align.CENTER),
    ]
    return Document(tuple(blocks + _footer(settings, w, transaction)))


def test_page(settings: Settings, at: str, lang: Language) -> Document:
    """What a technician prints to check the printer: both scripts, a QR code."""
    w = _Words(lang)
    blocks = _header(settings, w, at, w("test_page"), loud=True)
    blocks += [
        Row(w("test_profile"), settings.printer.profile),
        Text(LABELS["test_chars"][0]),
        Text(LABELS["test_chars"][1]),
        Row("1234567890", "￥1,234.56"),
        QrCode(settings.kiosk.receipt_url.format(transaction="test")),
        Text(w("test_ok"), align=Align.CENTER),
        Feed(),
    ]
    return Document(tuple(blocks))


def collection_report(
    settings: Settings, record: dict[str, Any], at: str, record_id: str, lang: Language
) -> Document:
    """The cash collector's report: notes by denomination from the journal, the
    amount counted by hand, and the difference."""
    w = _Words(lang)
    blocks = _header(settings, w, at, w("collection"), loud=True)
    since = record.get("since_at")
    if since:
        local = datetime.fromisoformat(since).astimezone(ZoneInfo(settings.kiosk.timezone))
        blocks.append(Row(w("since"), local.strftime("%Y-%m-%d %H:%M")))
    else:
        blocks.append(Row(w("since"), w("first_period")))
    blocks.append(Rule())
    for line in record["notes"]:
        value = Money.from_json(line["value"])
        subtotal = Money(value.minor * int(line["count"]), value.currency)
        blocks.append(
            Row(
                f"{value.format(lang, FormatStyle.PRINTER)} × {line['count']}",
                subtotal.format(lang, FormatStyle.PRINTER),
            )
        )
    blocks += [
        Rule(),
        Row(w("notes"), str(record["count"])),
        Row(w("journal_total"), w.money(record["total"]), bold=True),
    ]
    if record.get("counted") is not None:
        blocks += [
            Row(w("counted"), w.money(record["counted"]), bold=True),
            Row(w("difference"), w.money(record["discrepancy"]), bold=True),
        ]
    blocks += [
        Rule(),
        Row(w("collector"), str(record.get("role", ""))),
        Row(w("record"), record_id.replace("-", "")),
        Feed(),
        Text(w("signature")),
        Feed(2),
    ]
    return Document(tuple(blocks))


def sample_payment() -> tuple[dict[str, Any], str, str]:
    """A payment record to print as a sample: an electricity bill over two tiers,
    paid in cash with change credited to the account."""
    data: dict[str, Any] = {
        "service": "electricity",
        "account": "3301234567",
        "method": "cash",
        "amount": {"minor": 11460, "currency": "CNY"},
        "tendered": {"minor": 12000, "currency": "CNY"},
        "excess": {"minor": 540, "currency": "CNY"},
        "excess_to": "account_credit",
        "recovered": False,
        "details": {
            "bill": {
                "holder": "王*华",
                "lines": [
                    {"zh": "10月电费 第1档 60kWh", "en": "Oct, tier 1: 60 kWh",
                     "amount": {"minor": 3228, "currency": "CNY"}},
                    {"zh": "10月电费 第2档 140kWh", "en": "Oct, tier 2: 140 kWh",
                     "amount": {"minor": 8232, "currency": "CNY"}},
                ],
                "discount": None,
            }
        },
    }  # fmt: skip
    return data, "2026-11-24T08:30:00+00:00", "00000000-0000-4000-8000-000000000001"
