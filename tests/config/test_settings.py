from pathlib import Path

import pytest

from config.choices import PaymentMethod, RefundTarget
from config.fees.parking import ParkingTariff
from config.fees.tiered import TieredTariff
from config.loader import ConfigError, defaults, load_settings, merge


def test_embedded_defaults_are_valid() -> None:
    settings = load_settings()
    assert settings.kiosk.currency == "CNY"
    assert set(settings.services) == {"electricity", "water", "gas", "property", "parking"}
    assert settings.services["parking"].refund_to is RefundTarget.VOUCHER
    assert PaymentMethod.CARD not in settings.services["parking"].methods
    assert isinstance(settings.tariffs["electricity"].build(), TieredTariff)
    assert isinstance(settings.tariffs["parking"].build(), ParkingTariff)


def test_file_overrides_defaults_key_by_key(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(
        '[kiosk]\nid = "SITE-7"\n[cash]\ndenominations_fen = [10000, 5000]\n'
        '[tariffs.parking]\ntype = "parking"\nfree_minutes = 30\nperiod_minutes = 60\n'
        "rate_fen = 500\n",
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.kiosk.id == "SITE-7"
    assert settings.kiosk.hotline == defaults()["kiosk"]["hotline"]
    assert settings.cash.denominations_fen == (5000, 10000)  # lists replace, sorted
    parking = settings.tariffs["parking"].build()
    assert isinstance(parking, ParkingTariff)
    assert parking.daily_cap_fen == 4000  # kept from defaults


def test_merge_replaces_lists_and_merges_tables() -> None:
    assert merge({"a": {"b": 1, "c": [1]}}, {"a": {"c": [2]}}) == {"a": {"b": 1, "c": [2]}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[tariffs.water]\ntype = "tiered"\nunit = "m3"\nperiod = "annual"\n'
            "tiers = [{ price = 3.5 }]\n",
            r"tariffs\.water\.tiers\.0\.price: write 3\.5 as a string",
        ),
        ("[kiosk]\nidd = 1\n", r"kiosk\.idd: Extra inputs are not permitted"),
        (
            '[services.water]\nrefund_to = "cash_back"\n',
            r"services\.water\.refund_to: Input should be 'account_credit' or 'voucher'",
        ),
        ('[services.water]\ntariff = "sewage"\n', r"services\.water\.tariff: no tariff named"),
        ("[cash]\nmax_session_fen = 2000.0\n", r"cash\.max_session_fen: Input should be a valid"),
        ("[cash]\ndenominations_fen = [100, 100]\n", r"cash\.denominations_fen: .*distinct"),
        ("[timeouts]\ndone = 0\n", r"timeouts\.done: Input should be greater than 0"),
        (
            '[services.water]\naccount_pattern = "(["\n',
            r"services\.water\.account_pattern: not a regular expression",
        ),
        (
            '[tariffs.electricity]\ntiers = [{ upto = "10", price = "1" }, '
            '{ upto = "5", price = "2" }, { price = "3" }]\n',
            r"tariffs\.electricity: tier boundaries must increase",
        ),
        ('[tariffs.gas]\nunit_step = "abc"\n', r"tariffs\.gas\.unit_step: 'abc' is not a decimal"),
        ("[kiosk\n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_key_and_reason(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[acceptor]\nprotocol = "mdb"\n',
            r"acceptor\.protocol: Input should be 'id003', 'cctalk'",
        ),
        ('[acceptor]\nport = "COM3"\n', r"acceptor\.port: a device path under /dev/"),
        ("[acceptor]\npoll_interval_ms = 10\n", r"acceptor\.poll_interval_ms: .*greater than"),
    ],
)
def test_bad_acceptor_settings(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_acceptor_defaults_run_the_simulator() -> None:
    acceptor = load_settings().acceptor
    assert (acceptor.protocol, acceptor.port) == ("id003", "sim")
