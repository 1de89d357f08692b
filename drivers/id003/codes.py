"""ID-003 command, status, reject and failure codes (facts sheet §1.3–1.9)."""

from __future__ import annotations

import enum


class Cmd(enum.IntEnum):
    STATUS_REQUEST = 0x11
    ACK = 0x50
    RESET = 0x40
    STACK_1 = 0x41
    STACK_2 = 0x42
    RETURN = 0x43
    HOLD = 0x44
    WAIT = 0x45
    SET_DENOMINATIONS = 0xC0
    SET_SECURITY = 0xC1
    SET_COMMUNICATION_MODE = 0xC2
    SET_INHIBIT = 0xC3
    SET_DIRECTION = 0xC4
    SET_OPTIONAL_FUNCTION = 0xC5
    GET_VERSION = 0x88
    GET_BOOT_VERSION = 0x89
    GET_CURRENCY_ASSIGN = 0x8A


class Status(enum.IntEnum):
    IDLING = 0x11
    ACCEPTING = 0x12
    ESCROW = 0x13
    STACKING = 0x14
    VEND_VALID = 0x15
    STACKED = 0x16
    REJECTING = 0x17
    RETURNING = 0x18
    HOLDING = 0x19
    DISABLED = 0x1A
    INITIALIZE = 0x1B
    POWER_UP = 0x40
    POWER_UP_BILL_IN_ACCEPTOR = 0x41
    POWER_UP_BILL_IN_STACKER = 0x42
    STACKER_FULL = 0x43
    STACKER_OPEN = 0x44
    JAM_IN_ACCEPTOR = 0x45
    JAM_IN_STACKER = 0x46
    PAUSE = 0x47
    CHEATED = 0x48
    FAILURE = 0x49
    COMMUNICATION_ERROR = 0x4A
    INVALID_COMMAND = 0x4B
    ACK = 0x50


# States the device passes through on its own; one that lasts longer than the
# watchdog means the device is stuck.
TRANSIENT = frozenset(
    {
        Status.ACCEPTING,
        Status.STACKING,
        Status.VEND_VALID,
        Status.STACKED,
        Status.REJECTING,
        Status.RETURNING,
        Status.INITIALIZE,
        Status.PAUSE,
    }
)

POWER_UPS = frozenset(
    {Status.POWER_UP, Status.POWER_UP_BILL_IN_ACCEPTOR, Status.POWER_UP_BILL_IN_STACKER}
)

REJECT_REASONS: dict[int, str] = {
    0x71: "insertion error",
    0x72: "magnetic pattern error",
    0x73: "remaining bill in head",
    0x74: "compensation error",
    0x75: "conveying error",
    0x76: "denomination assessment error",
    0x77: "photo pattern error",
    0x78: "photo level error",
    0x79: "inhibited",
    0x7A: "reserved",
    0x7B: "operation error",
    0x7C: "remaining bill in stacker",
    0x7D: "length error",
    0x7E: "photo pattern error 2",
    0x7F: "true bill rejected",
    0x91: "barcode function not set",
    0x92: "unknown barcode",
    0x93: "barcode character length",
    0x94: "barcode start bit",
    0x95: "barcode stop bit",
    0x96: "barcode not set",
    0x98: "multiple bills inserted",
    0x9B: "ticket upside down",
    0x9D: "ticket length",
}

FAILURE_CODES: dict[int, str] = {
    0xA2: "stacker motor failure",
    0xA5: "transport motor speed failure",
    0xA6: "transport motor failure",
    0xA7: "aligning motor failure",
    0xAB: "cash box not ready",
    0xAC: "optical sensor failure",
    0xAD: "magnetic sensor failure",
    0xAF: "validator head removed",
    0xB0: "boot ROM failure",
    0xB1: "external ROM failure",
    0xB2: "ROM failure",
    0xB3: "external ROM write failure",
}

# Appendix E country codes seen in public drivers (facts sheet §1.5).
COUNTRY_CURRENCY: dict[int, str] = {
    1: "USD",
    27: "USD",
    46: "USD",
    8: "CAD",
    72: "CAD",
    45: "CNY",
    10: "JPY",
    224: "EUR",
    39: "RUB",
}
CURRENCY_COUNTRY: dict[str, int] = {"CNY": 45, "USD": 1, "CAD": 8, "JPY": 10, "EUR": 224}
# Escrow codes 0x61–0x68 are denomination slots 1–8 of the currency-assign table.
FIRST_ESCROW_CODE = 0x61
LAST_ESCROW_CODE = 0x68
