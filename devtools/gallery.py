"""The screen gallery: every screen, in Chinese and English, portrait
(1080×1920) and landscape (1920×1080), rendered offscreen to PNG.

The views are what the flow shows at each step of a sample session (the demo
city's electricity bill with arrears and a coupon; a prepaid meter; a cash
payment with a note in escrow; a cancelled session with money credited), so
a reviewer sees real content, not placeholders. ``kiosk gallery`` writes them
into docs/gallery/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

from config.choices import PaymentMethod, RefundTarget
from config.first_look import FirstLook
from config.settings import Settings
from kiosk.bills import Bill, BillLine, Coupon
from kiosk.flow import GivenBack, Notice, Outcome, State
from kiosk.flow.view import View
from kiosk.money import Language, Money
from ui.i18n import Languages
from ui.screens.base import Context
from ui.window import KioskWindow

SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
TX = "5f0c2a7e9b3d4c1e8a6f0b2d4c6e8a1f"
ALL_METHODS = tuple(PaymentMethod)


def _yuan(text: str) -> Money:
    return Money(int(Decimal(text) * 100))


BILL = Bill(
    "electricity",
    "3301234567",
    "王*华",
    (
        BillLine(
            "9月电费（欠费）", "September electricity (arrears)", _yuan("92.30"), "2026-10-15"
        ),
        BillLine("9月滞纳金", "September late fee", _yuan("1.38")),
        BillLine(
            "10月电费 第一档 260 kWh", "October electricity, tier 1: 260 kWh", _yuan("138.84")
        ),
        BillLine("10月电费 第二档 40 kWh", "October electricity, tier 2: 40 kWh", _yuan("23.76")),
    ),
    coupons=(Coupon("WINTER5", "冬季缴费立减5元", "Winter payment: ¥5 off", _yuan("5.00")),),
)
CREDITED = replace(
    BILL, coupons=(), credit_applied=_yuan("3.72"), prepaid_balance=_yuan("0.00")
)  # last visit's change, kept as credit, set against this bill
PREPAID = Bill(
    "electricity",
    "3301234568",
    "陈*",
    (),
    prepaid=True,
    prepaid_balance=_yuan("3.20"),
    usage_this_period=Decimal(2700),
)


def sample_views() -> Iterator[tuple[str, View]]:
    """(name, view) for every screen and the states worth seeing twice."""
    base = View(State.ATTRACT, methods=ALL_METHODS, timeout_s=60)
    session = replace(base, service="electricity", account="3301234567")
    yield "attract", base
    yield "choose_service", replace(base, state=State.CHOOSE_SERVICE)
    yield "identify", replace(session, state=State.IDENTIFY, account=None)
    yield "identify_invalid", replace(session, state=State.IDENTIFY, notice=Notice.INVALID_ACCOUNT)
    yield "looking_up", replace(session, state=State.LOOKING_UP)
    yield "bill_shown", replace(session, state=State.BILL_SHOWN, bill=BILL)
    yield "bill_credit_applied", replace(session, state=State.BILL_SHOWN, bill=CREDITED)
    yield (
        "bill_prepaid",
        replace(session, state=State.BILL_SHOWN, bill=PREPAID, account=PREPAID.account),
    )
    yield (
        "bill_prepaid_reissuing",
        replace(session, state=State.BILL_SHOWN, bill=PREPAID, account=PREPAID.account,
                notice=Notice.CARD_REISSUING, card_writing=True),
    )  # fmt: skip
    paying = replace(session, bill=BILL, amount=BILL.due)
    yield "choose_method", replace(paying, state=State.CHOOSE_METHOD)
    yield (
        "cash_inserting",
        replace(
            paying,
            state=State.CASH_INSERTING,
            paid=_yuan("150"),
            escrow=_yuan("20"),
            method=PaymentMethod.CASH,
        ),
    )
    yield (
        "cash_over_limit",
        replace(
            paying,
            state=State.CASH_INSERTING,
            paid=_yuan("150"),
            notice=Notice.NOTE_OVER_LIMIT,
            method=PaymentMethod.CASH,
        ),
    )
    yield "card_paying", replace(paying, state=State.CARD_PAYING, method=PaymentMethod.CARD)
    yield (
        "qr_waiting",
        replace(
            paying,
            state=State.QR_WAITING,
            method=PaymentMethod.WECHAT,
            qr_url="http://127.0.0.1:8080/sandbox/pay/OD1A2B3C4D5E6F7A8B",
        ),
    )
    yield "completing", replace(paying, state=State.COMPLETING)
    done = replace(paying, state=State.DONE, method=PaymentMethod.CASH, transaction=TX)
    yield "done", replace(done, credited=_yuan("3.60"), credited_to=RefundTarget.ACCOUNT_CREDIT)
    yield "done_e_receipt", replace(done, notice=Notice.RECEIPT_FAILED, printing=False)
    yield "done_card_writing", replace(done, card_writing=True)
    yield "are_you_there", replace(paying, state=State.ARE_YOU_THERE, paid=_yuan("50"))
    yield (
        "cancelled",
        replace(
            paying,
            state=State.CANCELLED,
            outcome=Outcome.CANCELLED,
            credited=_yuan("50"),
            credited_to=RefundTarget.VOUCHER,
        ),
    )
    yield "timed_out", replace(session, state=State.TIMED_OUT, outcome=Outcome.TIMED_OUT)
    yield (
        "qr_expired",
        replace(
            paying, state=State.CANCELLED, outcome=Outcome.TIMED_OUT, method=PaymentMethod.WECHAT
        ),
    )
    late = replace(
        paying, state=State.CANCELLED, outcome=Outcome.CANCELLED, method=PaymentMethod.WECHAT,
        qr_order="OD1A2B3C4D5E6F7A8B",
    )  # fmt: skip
    yield "qr_checking", replace(late, given_back=GivenBack.CHECKING)
    yield "qr_refunded", replace(late, given_back=GivenBack.REFUNDED)
    yield (
        "card_reversed",
        replace(late, method=PaymentMethod.CARD, qr_order=None, given_back=GivenBack.REVERSED),
    )
    yield "card_no_answer", replace(paying, state=State.CHOOSE_METHOD, notice=Notice.CARD_NO_ANSWER)
    yield "offline", replace(base, online=False, methods=(PaymentMethod.CASH,))
    yield (
        "out_of_service",
        replace(
            base,
            state=State.OUT_OF_SERVICE,
            methods=(PaymentMethod.WECHAT, PaymentMethod.ALIPAY),
            out_of_service="acceptor jammed",
        ),
    )
    yield "accessible", replace(session, state=State.IDENTIFY, accessible=True)


def preview_window(settings: Settings, lang: Language, size: tuple[int, int]) -> KioskWindow:
    """A window with no flow behind it (touches go nowhere), shown at ``size``: for
    the gallery, the screen tests and the UI bench."""
    languages = Languages()
    look = FirstLook.of(settings)
    ctx = Context(
        post=lambda event: None,
        settings=lambda: settings,
        lang=lambda: languages.current,
        look=lambda: look,
        open_account=lambda bill: None,  # the button shows; the panel has its own previews
    )
    window = KioskWindow(ctx, languages, lang)
    window.use_size(*size)
    window.show()
    return window


def render_gallery(settings: Settings, out: Path, scale: float = 0.5) -> list[Path]:
    """Write every sample view as PNG (``scale`` of the panel's pixels, to keep the
    repository small) and one contact sheet per language and orientation."""
    app = QApplication.instance() or QApplication([])
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for lang in (Language.ZH, Language.EN):
        for orientation, (width, height) in SIZES.items():
            window = preview_window(settings, lang, (width, height))
            shots = []
            for name, view in sample_views():
                window.show_view(view)
                app.processEvents()
                path = out / f"{lang.value}-{orientation}-{name}.png"
                shot = window.grab().toImage()
                shots.append(shot)
                smooth = Qt.TransformationMode.SmoothTransformation
                small = shot.scaled(int(width * scale), int(height * scale), mode=smooth)
                small.save(str(path))
                written.append(path)
            sheet = out / f"sheet-{lang.value}-{orientation}.png"
            contact_sheet(shots, 6 if width < height else 4, 0.2).save(str(sheet))
            written.append(sheet)
            window.may_close = True
            window.close()
            window.deleteLater()
    return written


def contact_sheet(shots: list[QImage], columns: int, scale: float) -> QImage:
    """The screens side by side, ``columns`` to a row, at ``scale``."""
    width, height = int(shots[0].width() * scale), int(shots[0].height() * scale)
    rows = -(-len(shots) // columns)
    sheet = QImage(columns * (width + 8), rows * (height + 8), QImage.Format.Format_RGB32)
    sheet.fill(QColor("#777777"))
    painter = QPainter(sheet)
    for index, shot in enumerate(shots):
        small = shot.scaled(width, height, mode=Qt.TransformationMode.SmoothTransformation)
        painter.drawImage(
            (index % columns) * (width + 8) + 4, (index // columns) * (height + 8) + 4, small
        )
    painter.end()
    return sheet
