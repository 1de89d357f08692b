"""The payment providers' asynchronous notifications: ``POST
/api/v1/notify/wechatpay`` and ``POST /api/v1/notify/alipay``. Outside the
kiosks' credential: the provider's signature is checked before anything in
the body is believed, then the order it names and the amount against the
order; the change is made once however often it comes. A notification
refused is logged with its reason and counted (``app.state.notify_refused``);
the answer is in the provider's format (a refusal makes the provider retry)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from central import order_work, part_refunds
from central.auth import engine_of
from central.providers.base import BadNotification, Provider

API = "/api/v1"
PATHS = {"wechat": "wechatpay", "alipay": "alipay"}
log = logging.getLogger(__name__)
router = APIRouter()


def _handle(
    request: Request, provider: Provider, headers: Mapping[str, str], body: bytes
) -> Response:
    """``headers``: looked up case-insensitively (Starlette's)."""
    refused: Counter[tuple[str, str]] = request.app.state.notify_refused
    try:
        notice = provider.notification(headers, body)
        if notice.kind == "paid":
            outcome = order_work.paid(engine_of(request), provider.name, notice.order_id,
                                      notice.amount_fen, notice.trade_no)  # fmt: skip
            log.info("%s: order %s %s", provider.name, notice.order_id, outcome)
        elif notice.refund_id and part_refunds.known(engine_of(request), notice.refund_id):
            part_refunds.notified(engine_of(request), notice)
        else:
            order_work.refunded(engine_of(request), notice)
    except BadNotification as exc:
        refused[(provider.name, exc.reason)] += 1
        log.warning("%s notification refused (%s): %s", provider.name, exc.reason, exc)
        answer = provider.answer(False, exc.reason)
    else:
        answer = provider.answer(True)
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type)


async def _notify(request: Request, name: str) -> Response:
    provider = request.app.state.providers.get(name)
    if provider is None:
        return Response(b"", status_code=404)
    body = await request.body()
    return await run_in_threadpool(_handle, request, provider, request.headers, body)


@router.post(f"{API}/notify/wechatpay", status_code=204, responses={400: {}, 404: {}})
async def wechatpay(request: Request) -> Response:
    """WeChat Pay's notification (payment or refund): signed by the platform key,
    its resource encrypted under the APIv3 key. 204 when taken; 400 (and a
    JSON FAIL) when refused, which makes WeChat Pay send it again later."""
    return await _notify(request, "wechat")


@router.post(f"{API}/notify/alipay", responses={200: {"content": {"text/plain": {}}}, 404: {}})
async def alipay(request: Request) -> Response:
    """Alipay's notification: a form POST signed RSA2 with Alipay's key. The
    answer is the text ``success`` when taken; anything else (``fail``) makes
    Alipay send it again later."""
    return await _notify(request, "alipay")
