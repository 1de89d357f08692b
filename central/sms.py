"""Text messages to customers, through a pluggable sender.

The reference sender writes each message to the ``sms_outbox`` table (where a
gateway adapter would pick it up) and to the log with the number masked. A real
deployment passes its own ``SmsSender`` to ``create_app``.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy import Connection, insert

from central.db import sms_outbox

log = logging.getLogger(__name__)


class SmsSender(Protocol):
    def send(self, conn: Connection, phone: str, kind: str, text: str) -> None:
        """Queue one message, inside the caller's database transaction."""


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


class OutboxSender:
    def send(self, conn: Connection, phone: str, kind: str, text: str) -> None:
        conn.execute(insert(sms_outbox).values(phone=phone, kind=kind, text=text))
        log.info("sms %s to %s: %s", kind, mask_phone(phone), text if kind != "code" else "…")
