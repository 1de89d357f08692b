"""ccTalk headers, bill event codes and fault codes (facts sheet §2; spec part 3)."""

from __future__ import annotations

import enum


class Header(enum.IntEnum):
    REPLY = 0
    RESET = 1
    COMMS_REVISION = 4
    NAK = 5
    BUSY = 6
    ROUTE_BILL = 154
    SET_BILL_OPERATING_MODE = 153
    SCALING_FACTOR = 156
    BILL_ID = 157
    READ_BILL_EVENTS = 159
    MASTER_INHIBIT = 228
    REQUEST_MASTER_INHIBIT = 227
    INHIBITS = 231
    REQUEST_INHIBITS = 230
    SELF_CHECK = 232
    SOFTWARE_REVISION = 241
    SERIAL_NUMBER = 242
    PRODUCT_CODE = 244
    EQUIPMENT_CATEGORY = 245
    MANUFACTURER = 246
    SIMPLE_POLL = 254


class Route(enum.IntEnum):
    RETURN = 0
    STACK = 1
    EXTEND_ESCROW = 255


ROUTE_ESCROW_EMPTY = 254
ROUTE_FAILED = 255
STACKER_AND_ESCROW = 0b11  # bill operating mode: B0 use stacker, B1 use escrow

# Result A = 0: status or error in B (Table 7).
BILL_STATUS: dict[int, str] = {
    0: "master inhibit active",
    1: "bill returned from escrow",
    2: "invalid bill (validation fail)",
    3: "invalid bill (transport problem)",
    4: "inhibited bill (serial)",
    5: "inhibited bill (DIP switches)",
    6: "bill jammed in transport (unsafe mode)",
    7: "bill jammed in stacker",
    8: "bill pulled backwards",
    9: "bill tamper",
    10: "stacker OK",
    11: "stacker removed",
    12: "stacker inserted",
    13: "stacker faulty",
    14: "stacker full",
    15: "stacker jammed",
    16: "bill jammed in transport (safe mode)",
    17: "opto fraud detected",
    18: "string fraud detected",
    19: "anti-string mechanism faulty",
    20: "barcode detected",
    21: "unknown bill type stacked",
}

FAULT_CODES: dict[int, str] = {
    0: "OK",
    1: "EEPROM checksum corrupted",
    9: "NVRAM checksum corrupted",
    30: "ROM checksum mismatch",
    33: "supply voltage outside operating limits",
    34: "temperature outside operating limits",
    36: "fault on bill validation sensor",
    37: "fault on bill transport motor",
    38: "fault on stacker",
    39: "bill jammed",
    40: "RAM test fail",
    41: "fault on string sensor",
    42: "accept gate failed open",
    43: "accept gate failed closed",
    44: "stacker missing",
    45: "stacker full",
    49: "fault on opto sensor",
    51: "door open",
    54: "firmware error",
    55: "initialisation error",
    255: "unspecified fault",
}

COUNTRY_CURRENCY = {"CN": "CNY", "EU": "EUR", "GB": "GBP", "US": "USD", "HK": "HKD"}
