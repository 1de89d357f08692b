"""The central server's own settings (``kiosk-central serve --settings FILE``,
TOML): which payment providers it speaks to and where their keys are, and
whether the sandbox pay page is mounted.

    [sandbox]
    enabled = false          # the demo's pay page: never in production

    [providers.wechat]       # WeChat Pay API v3, Native
    gateway = "https://api.mch.weixin.qq.com"
    mchid = "1900000109"
    appid = "wxd678efh567hg6787"
    merchant_serial = "…"    # the merchant certificate's serial number
    merchant_key_file = "/etc/kiosk-central/wechat-merchant.key"   # 0600
    platform_mode = "public_key"   # or "certificate": from /v3/certificates
    platform_key_id = "PUB_KEY_ID_…"                               # public-key mode
    platform_key_file = "/etc/kiosk-central/wechat-platform.pub"   # public-key mode
    apiv3_key_file = "/etc/kiosk-central/wechat-apiv3.key"         # 0600
    notify_url = "https://central.example.cn/api/v1/notify/wechatpay"

    [providers.alipay]       # Alipay 当面付 (precreate)
    gateway = "https://openapi.alipay.com/gateway.do"
    app_id = "2021000000000000"
    app_key_file = "/etc/kiosk-central/alipay-app.key"             # 0600
    alipay_public_key_file = "/etc/kiosk-central/alipay-public.pem"
    notify_url = "https://central.example.cn/api/v1/notify/alipay"

Keys are always files (``central/providers/keys.py``), never values here.
Without a settings file the server has no provider and no sandbox.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from central.providers.alipay import AlipaySettings
from central.providers.wechat import WechatSettings

Section = TypeVar("Section", WechatSettings, AlipaySettings)


class SettingsError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class CentralSettings:
    sandbox: bool = False
    wechat: WechatSettings | None = None
    alipay: AlipaySettings | None = None


def load(path: Path) -> CentralSettings:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: {exc}") from None
    return parse(data, str(path))


def parse(data: dict[str, Any], where: str = "settings") -> CentralSettings:
    unknown = set(data) - {"sandbox", "providers"}
    if unknown:
        raise SettingsError(f"{where}: unknown sections {sorted(unknown)}")
    sandbox = data.get("sandbox", {})
    providers = data.get("providers", {})
    extra = set(providers) - {"wechat", "alipay"}
    if extra:
        raise SettingsError(f"{where}: no provider called {sorted(extra)}")
    wechat, alipay = providers.get("wechat"), providers.get("alipay")
    return CentralSettings(
        sandbox=bool(sandbox.get("enabled", False)),
        wechat=_section(WechatSettings, wechat, f"{where}: [providers.wechat]") if wechat else None,
        alipay=_section(AlipaySettings, alipay, f"{where}: [providers.alipay]") if alipay else None,
    )


def _section(kind: type[Section], data: dict[str, Any], where: str) -> Section:
    names = {f.name for f in fields(kind)}
    unknown = set(data) - names
    if unknown:
        raise SettingsError(f"{where}: unknown keys {sorted(unknown)}")
    try:
        return kind(**data)
    except TypeError as exc:
        raise SettingsError(f"{where}: {exc}") from None
