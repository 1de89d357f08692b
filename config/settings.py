"""The settings schema: every key the kiosk reads, its type and its limits.

Conventions, so a config file can never lose a fen:

* amounts of money are integers of fen, in keys ending ``_fen``;
* unit prices and rates are decimal *strings* (``"0.538"``): a TOML float
  cannot hold them exactly, so a float is refused with a message saying so;
* durations are integers of seconds (``_s``) or minutes (``_minutes``);
* unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    field_validator,
    model_validator,
)

from config.choices import IdentifyMethod, PaymentMethod, RefundTarget
from config.fees.parking import ParkingTariff
from config.fees.property import PropertyTariff
from config.fees.tiered import Period, Tier, TieredTariff


def _decimal_text(value: object) -> Decimal:
    if isinstance(value, float):
        raise ValueError(
            f'write {value!r} as a string, e.g. "{value}": a float cannot hold a price exactly'
        )
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("must be a decimal number written as a string")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


DecimalText = Annotated[Decimal, BeforeValidator(_decimal_text)]
Fen = Annotated[int, Field(strict=True, ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KioskSection(_Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    operator_name_zh: str = Field(min_length=1)
    operator_name_en: str = Field(min_length=1)
    location: str = Field(min_length=1)
    location_en: str | None = None  # for English receipts and screens; else ``location``
    hotline: str = Field(min_length=3, pattern=r"^[0-9 +()-]+$")
    default_language: Literal["zh", "en"] = "zh"
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    timezone: str = "Asia/Shanghai"
    # Where a receipt can be checked and fetched again; {transaction} is its id.
    receipt_url: str = Field(
        default="https://pay.demo-city.cn/r/{transaction}", pattern=r"^https://.*\{transaction\}"
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class PathsSection(_Strict):
    data_dir: str = Field(min_length=1)
    backup_dir: str = ""  # kiosk backup's copies; "": <data_dir>/backups
    archive_dir: str = ""  # archived journal records; "": <data_dir>/archive

    @property
    def backups(self) -> str:
        return self.backup_dir or f"{self.data_dir}/backups"

    @property
    def archives(self) -> str:
        return self.archive_dir or f"{self.data_dir}/archive"


class JournalSection(_Strict):
    """Retention: records older than this many months (of 30 days) whose
    transactions the central server confirmed leave the live journal for a
    compressed archive, at the daily backup. 0: never."""

    archive_after_months: Annotated[int, Field(strict=True, ge=0, le=120)] = 3


class UpdateSection(_Strict):
    """The health gate of a new software release (``kiosk update``): ready
    (recovery done, the first screen painted, a heartbeat accepted) within
    ``ready_s`` of the switch, then up ``window_s`` more; else rolled back."""

    ready_s: Annotated[int, Field(strict=True, ge=5, le=3600)] = 300
    window_s: Annotated[int, Field(strict=True, ge=0, le=86400)] = 600


class Timeouts(_Strict):
    """Seconds each flow state waits before its timeout event."""

    attract: PositiveInt
    choose_service: PositiveInt
    identify: PositiveInt
    looking_up: PositiveInt
    bill_shown: PositiveInt
    choose_method: PositiveInt
    cash_inserting: PositiveInt
    card_paying: PositiveInt
    qr_waiting: PositiveInt
    qr_cancelling: PositiveInt
    qr_poll: PositiveInt
    completing: PositiveInt
    done: PositiveInt
    cancelled: PositiveInt
    are_you_there: PositiveInt
    out_of_service: PositiveInt
    maintenance: PositiveInt
    accessibility_factor: Annotated[int, Field(strict=True, ge=1, le=5)] = 2


class CashSection(_Strict):
    denominations_fen: tuple[Annotated[int, Field(strict=True, gt=0)], ...] = Field(min_length=1)
    max_session_fen: Annotated[int, Field(strict=True, gt=0)]
    max_overpay_fen: Fen

    @field_validator("denominations_fen")
    @classmethod
    def _distinct(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(value)) != len(value):
            raise ValueError("denominations must be distinct")
        return tuple(sorted(value))


class AcceptorSection(_Strict):
    """The bill acceptor. ``port = "sim"`` runs the built-in simulator on a pty."""

    protocol: Literal["id003", "cctalk", "none"] = "id003"
    port: str = Field(default="sim", min_length=1)
    poll_interval_ms: Annotated[int, Field(strict=True, ge=50, le=1000)] = 150
    reply_timeout_ms: Annotated[int, Field(strict=True, ge=20, le=2000)] = 200
    watchdog_s: Annotated[int, Field(strict=True, ge=5, le=600)] = 60
    cctalk_address: Annotated[int, Field(strict=True, ge=2, le=255)] = 40
    cctalk_checksum: Literal["simple", "crc16"] = "simple"
    cctalk_echo: bool = True

    @field_validator("port")
    @classmethod
    def _device_path(cls, value: str) -> str:
        if value != "sim" and not value.startswith("/dev/"):
            raise ValueError('a device path under /dev/ (e.g. /dev/kiosk-bill), or "sim"')
        return value


class PrinterSection(_Strict):
    """The receipt printer. ``connection = "sim"`` runs the built-in simulator."""

    connection: Literal["sim", "network", "serial", "usb"] = "sim"
    host: str = "127.0.0.1"
    port: Annotated[int, Field(strict=True, ge=1, le=65535)] = 9100
    device: str = Field(default="/dev/kiosk-printer", pattern=r"^/dev/")
    baudrate: Annotated[int, Field(strict=True, ge=1200, le=921600)] = 9600
    usb_vendor: Annotated[int, Field(strict=True, ge=0, le=0xFFFF)] = 0x0416
    usb_product: Annotated[int, Field(strict=True, ge=0, le=0xFFFF)] = 0x5011
    profile: str = Field(default="TM-T20II", min_length=1)  # a python-escpos profile
    paper_mm: Literal[58, 80] | None = None  # None: the profile's media width decides
    cjk: Literal["native", "raster"] = "native"
    status_timeout_ms: Annotated[int, Field(strict=True, ge=100, le=10000)] = 1000


class CardReaderSection(_Strict):
    """The PC/SC reader for account IC cards and bank cards."""

    enabled: bool = True
    reader: str = ""  # a prefix of the reader's name; "" takes the first reader
    # The utility's key for the account card's purchase MAC, as hex. A secret:
    # set it in the site's file; the demo value below is for the simulator only.
    account_key_hex: str = Field(default="", pattern=r"^([0-9a-fA-F]{2}){0,64}$")
    insert_timeout_s: Annotated[int, Field(strict=True, ge=5, le=300)] = 60


class CentralSection(_Strict):
    """The central server: where it is, and the operator's pinned bundle key."""

    url: str = Field(default="http://127.0.0.1:8080", pattern=r"^https?://[^\s/]+(/.*)?$")
    credentials_file: str = "central.json"  # under paths.data_dir: id, group, token
    operator_public_key_hex: str = Field(default="", pattern=r"^([0-9a-fA-F]{64})?$")
    timeout_s: Annotated[int, Field(strict=True, ge=1, le=120)] = 10
    batch_size: Annotated[int, Field(strict=True, ge=1, le=1000)] = 200
    heartbeat_s: Annotated[int, Field(strict=True, ge=1, le=3600)] = 30
    # The config long-poll's hold (the server holds up to 900 s); a lost one is made
    # good by the heartbeat, whose answer names the newest bundle.
    bundle_wait_s: Annotated[int, Field(strict=True, ge=0, le=900)] = 300
    # An order-status poll's hold while a customer scans a QR code: the server
    # answers the moment the order is paid (or at the end of the hold); 0: plain
    # polls every timeouts.qr_poll.
    qr_hold_s: Annotated[int, Field(strict=True, ge=0, le=30)] = 15
    # TLS is verified against the system's CAs; a server with its own (self-signed)
    # certificate is trusted only if that certificate is pinned here (a PEM file).
    tls_ca_file: str = Field(default="", pattern=r"^(/.*)?$")

    @property
    def verify(self) -> bool | str:
        """What ``requests`` verifies the server's certificate with (never False)."""
        return self.tls_ca_file or True


SCRYPT_HASH = r"^scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[0-9a-f]{16,64}\$[0-9a-f]{32,128}$"


class MaintenanceSection(_Strict):
    """The maintenance menu: one PIN per role (scrypt hashes), the lockout, the
    technician cards' key and where removable drives appear."""

    technician_pin: str = Field(pattern=SCRYPT_HASH)
    collector_pin: str = Field(pattern=SCRYPT_HASH)
    administrator_pin: str = Field(pattern=SCRYPT_HASH)
    max_pin_failures: Annotated[int, Field(strict=True, ge=3, le=10)] = 5
    lockout_minutes: Annotated[int, Field(strict=True, ge=30, le=1440)] = 30
    staff_card_key_hex: str = Field(default="", pattern=r"^([0-9a-fA-F]{2}){0,64}$")
    export_roots: tuple[str, ...] = ("/media", "/run/media", "/mnt")


class OfflineSection(_Strict):
    """What the kiosk may take while the central server is out of reach: cash
    purchases of prepaid units for account-card customers, priced by the cached
    fee tables, up to these limits."""

    enabled: bool = True
    max_per_transaction_fen: Annotated[int, Field(strict=True, gt=0)] = 20_000
    max_per_day_fen: Annotated[int, Field(strict=True, gt=0)] = 100_000


class ServiceSection(_Strict):
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    enabled: bool = True
    tariff: str | None = None
    prepaid: bool = False
    identify: tuple[IdentifyMethod, ...] = Field(min_length=1)
    methods: tuple[PaymentMethod, ...] = Field(min_length=1)
    allow_partial: bool = False
    min_payment_fen: Annotated[int, Field(strict=True, gt=0)] = 100
    refund_to: RefundTarget = RefundTarget.ACCOUNT_CREDIT
    account_pattern: str = r"^\d{6,20}$"

    @field_validator("account_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


class TierEntry(_Strict):
    upto: DecimalText | None = None
    price: DecimalText


class TieredTariffSection(_Strict):
    type: Literal["tiered"]
    unit: str = Field(min_length=1)
    period: Literal["annual", "monthly"]
    unit_step: DecimalText = Decimal("0.01")
    tiers: tuple[TierEntry, ...] = Field(min_length=1)

    def build(self) -> TieredTariff:
        return TieredTariff(
            self.unit,
            Period(self.period),
            tuple(Tier(t.upto, t.price) for t in self.tiers),
            self.unit_step,
        )

    @model_validator(mode="after")
    def _buildable(self) -> TieredTariffSection:
        self.build()
        return self


class ParkingTariffSection(_Strict):
    type: Literal["parking"]
    free_minutes: Annotated[int, Field(strict=True, ge=0)]
    period_minutes: Annotated[int, Field(strict=True, gt=0, le=1440)]
    rate_fen: Annotated[int, Field(strict=True, gt=0)]
    daily_cap_fen: Annotated[int, Field(strict=True, gt=0)] | None = None
    deduct_free_minutes: bool = False

    def build(self) -> ParkingTariff:
        return ParkingTariff(
            self.free_minutes,
            self.period_minutes,
            self.rate_fen,
            self.daily_cap_fen,
            self.deduct_free_minutes,
        )


class PropertyTariffSection(_Strict):
    type: Literal["property"]
    price_per_m2_month: DecimalText
    late_fee_daily_rate: DecimalText
    late_fee_cap_rate: DecimalText
    due_day: Annotated[int, Field(strict=True, ge=1, le=28)] = 1
    grace_days: Annotated[int, Field(strict=True, ge=0)] = 0

    def build(self) -> PropertyTariff:
        return PropertyTariff(
            self.price_per_m2_month,
            self.late_fee_daily_rate,
            self.late_fee_cap_rate,
            self.due_day,
            self.grace_days,
        )

    @model_validator(mode="after")
    def _buildable(self) -> PropertyTariffSection:
        self.build()
        return self


TariffSection = Annotated[
    TieredTariffSection | ParkingTariffSection | PropertyTariffSection,
    Field(discriminator="type"),
]


class Settings(_Strict):
    kiosk: KioskSection
    paths: PathsSection
    timeouts: Timeouts
    cash: CashSection
    acceptor: AcceptorSection = Field(default_factory=AcceptorSection)
    printer: PrinterSection = Field(default_factory=PrinterSection)
    card_reader: CardReaderSection = Field(default_factory=CardReaderSection)
    offline: OfflineSection = Field(default_factory=OfflineSection)
    journal: JournalSection = Field(default_factory=JournalSection)
    update: UpdateSection = Field(default_factory=UpdateSection)
    maintenance: MaintenanceSection
    central: CentralSection = Field(default_factory=CentralSection)
    services: dict[str, ServiceSection] = Field(min_length=1)
    tariffs: dict[str, TariffSection] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cross_references(self) -> Settings:
        for name, service in self.services.items():
            if service.tariff is not None and service.tariff not in self.tariffs:
                raise ValueError(
                    f"services.{name}.tariff: no tariff named {service.tariff!r} "
                    f"(known: {', '.join(sorted(self.tariffs)) or 'none'})"
                )
            if service.prepaid and service.tariff is None:
                raise ValueError(f"services.{name}.prepaid: a prepaid service needs a tariff")
            if service.min_payment_fen > self.cash.max_session_fen:
                raise ValueError(f"services.{name}.min_payment_fen: above cash.max_session_fen")
        return self
