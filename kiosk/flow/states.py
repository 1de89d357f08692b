"""States of the pay flow and the timers it arms."""

from __future__ import annotations

import enum


class State(enum.Enum):
    ATTRACT = "attract"
    CHOOSE_SERVICE = "choose_service"
    IDENTIFY = "identify"
    LOOKING_UP = "looking_up"
    BILL_SHOWN = "bill_shown"
    CHOOSE_METHOD = "choose_method"
    CASH_INSERTING = "cash_inserting"
    CARD_PAYING = "card_paying"
    QR_WAITING = "qr_waiting"
    QR_CANCELLING = "qr_cancelling"
    COMPLETING = "completing"
    DONE = "done"
    ARE_YOU_THERE = "are_you_there"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    OUT_OF_SERVICE = "out_of_service"
    MAINTENANCE = "maintenance"


# States where the customer is expected to act: their timeout first asks
# "are you still there?".
INPUT_STATES = frozenset(
    {
        State.CHOOSE_SERVICE,
        State.IDENTIFY,
        State.BILL_SHOWN,
        State.CHOOSE_METHOD,
        State.CASH_INSERTING,
    }
)

# States that belong to a customer session (a cancel button is shown).
SESSION_STATES = INPUT_STATES | {
    State.LOOKING_UP,
    State.CARD_PAYING,
    State.QR_WAITING,
    State.ARE_YOU_THERE,
}
ENDED_STATES = frozenset({State.DONE, State.CANCELLED, State.TIMED_OUT})  # a session's last screen


class Timer(enum.Enum):
    STATE = "state"  # the current state's timeout
    QR_POLL = "qr_poll"


class Notice(enum.Enum):
    """A message shown with the screen; the UI translates it."""

    INVALID_ACCOUNT = "invalid_account"
    INVALID_PHONE = "invalid_phone"
    INVALID_CODE = "invalid_code"
    CODE_SENT = "code_sent"
    WRONG_CARD = "wrong_card"
    ACCOUNT_NOT_FOUND = "account_not_found"
    SERVER_UNAVAILABLE = "server_unavailable"
    NOTHING_DUE = "nothing_due"
    AMOUNT_TOO_SMALL = "amount_too_small"
    AMOUNT_TOO_LARGE = "amount_too_large"
    PARTIAL_NOT_ALLOWED = "partial_not_allowed"
    METHOD_UNAVAILABLE = "method_unavailable"
    NOTE_NOT_ACCEPTED = "note_not_accepted"
    NOTE_OVER_LIMIT = "note_over_limit"
    NOTE_REJECTED = "note_rejected"
    INSERT_MORE = "insert_more"
    ACCEPTOR_FAULT = "acceptor_fault"
    CARD_DECLINED = "card_declined"
    CARD_FAILED = "card_failed"
    CARD_NO_ANSWER = "card_no_answer"  # the bank never answered: reversed, not charged
    QR_FAILED = "qr_failed"
    RECEIPT_FAILED = "receipt_failed"
    CARD_NOT_LOADED = "card_not_loaded"  # the purchase is recorded; it will be reissued
    CARD_REISSUING = "card_reissuing"  # an earlier purchase is being written to the card
    CARD_REISSUED = "card_reissued"  # ... and is on it now
    OFFLINE_LIMIT = "offline_limit"  # offline: above what an offline payment may take


class GivenBack(enum.Enum):
    """What became of money that arrived after its session gave up, as the
    session's last screen tells the customer."""

    CHECKING = "checking"  # the provider never said: the server settles it
    REFUNDING = "refunding"  # paid late: the refund is on its way to the wallet
    REFUNDED = "refunded"  # the server says the refund is done
    REVERSED = "reversed"  # a card approval undone: the card is not charged


class Outcome(enum.Enum):
    """How a session ended, for the closing screen and the journal."""

    PAID = "paid"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    DEVICE_FAULT = "device_fault"
