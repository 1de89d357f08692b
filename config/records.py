"""What the kiosk writes to its journal, and which records are transactions.

Defined here, below both, so that the kiosk and the central server name each
kind once (`config` imports nothing of the project).

A record is journaled durably before the command after it runs: the shell
executes a flow's commands in order and a ``JournalRecord`` command returns only once
the record is on disk. So "note stacked" is on disk before the acceptor is
acknowledged, and "payment completed" before the receipt prints.
"""

from __future__ import annotations

import enum


class RecordKind(enum.Enum):
    SESSION_OPENED = "session_opened"
    NOTE_ESCROWED = "note_escrowed"
    NOTE_STACKED = "note_stacked"
    NOTE_RETURNED = "note_returned"
    ACCEPTOR_FAULT = "acceptor_fault"
    CARD_STARTED = "card_started"  # an authorization may be asked for from here
    CARD_AUTHORIZED = "card_authorized"
    CARD_REVERSAL = "card_reversal"
    QR_ORDER_CREATED = "qr_order_created"
    QR_PAID = "qr_paid"
    QR_REFUND = "qr_refund"
    QR_UNRESOLVED = "qr_unresolved"
    PAYMENT_COMPLETED = "payment_completed"
    CREDIT_SETTLED = "credit_settled"
    CARD_LOADING = "card_loading"  # a purchase is being written to the account card
    CARD_LOADED = "card_loaded"
    CARD_LOAD_FAILED = "card_load_failed"
    CARD_REISSUED = "card_reissued"  # an earlier purchase, written to the card at last
    RECEIPT_PRINTED = "receipt_printed"
    RECEIPT_FAILED = "receipt_failed"
    SESSION_CLOSED = "session_closed"
    MAINTENANCE = "maintenance"
    RECOVERY = "recovery"
    CASH_COLLECTED = "cash_collected"  # the cashbox was emptied: a new period starts


# Records the central server must receive: each goes into the outbox with its
# own UUID idempotency key, in the same SQLite transaction as the record.
TRANSACTION_KINDS = frozenset(
    {
        RecordKind.PAYMENT_COMPLETED,
        RecordKind.CREDIT_SETTLED,
        RecordKind.CARD_REVERSAL,
        RecordKind.QR_REFUND,
        RecordKind.QR_UNRESOLVED,
        RecordKind.CARD_LOAD_FAILED,  # the server reissues the purchase
        RecordKind.CARD_REISSUED,  # ... until this says it is on the card
        RecordKind.MAINTENANCE,
        RecordKind.CASH_COLLECTED,
    }
)

# Records after which a session holds no customer money the journal has not
# accounted for.
SETTLEMENT_KINDS = frozenset({RecordKind.PAYMENT_COMPLETED, RecordKind.CREDIT_SETTLED})
