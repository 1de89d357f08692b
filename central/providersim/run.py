"""The simulators beside a central server: fresh test keys written where the
server's settings name them (secrets 0600), each simulator served on loopback,
and the provider settings that point the server's adapters at them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from central.providers import keys, wechat_wire
from central.providers.alipay import AlipaySettings
from central.providers.wechat import WechatSettings
from central.providersim.alipay import AlipaySim
from central.providersim.wechat import WechatSim
from central.serve import serving

MCHID, APPID = "1900000109", "wxd678efh567hg6787"
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
ALIPAY_APP_ID = "2021000122600000"
PLATFORM_KEY_ID = "PUB_KEY_ID_0119000001092026120100000000000001"


@dataclass
class WechatRig:
    sim: WechatSim
    settings: WechatSettings


def wechat_rig(
    folder: Path, notify_url: str, speed: float = 0.001, mode: str = "public_key"
) -> WechatRig:
    """A WeChat Pay simulator with fresh keys, and the merchant's settings for
    it (its gateway set once it is served: ``settings_for``); ``mode``: how the
    merchant checks the platform's signatures (``public_key`` or ``certificate``)."""
    merchant, platform = wechat_wire.new_key(), wechat_wire.new_key()
    apiv3 = secrets.token_hex(16).encode()  # 32 characters
    keys.write_secret(folder / "wechat-merchant.key", wechat_wire.private_pem(merchant))
    keys.write_secret(folder / "wechat-apiv3.key", apiv3)
    (folder / "wechat-platform.pub").write_bytes(wechat_wire.public_pem(platform.public_key()))
    sim = WechatSim(platform, PLATFORM_KEY_ID, apiv3, {MERCHANT_SERIAL: merchant.public_key()},
                    speed=speed)  # fmt: skip
    settings = WechatSettings(
        gateway="", mchid=MCHID, appid=APPID, merchant_serial=MERCHANT_SERIAL,
        merchant_key_file=str(folder / "wechat-merchant.key"), platform_key_id=PLATFORM_KEY_ID,
        platform_key_file=str(folder / "wechat-platform.pub"),
        apiv3_key_file=str(folder / "wechat-apiv3.key"), notify_url=notify_url,
    )  # fmt: skip
    if mode == "certificate":
        sim.use_certificate(platform)
        settings = replace(settings, platform_mode=mode, platform_key_id="", platform_key_file="")
    return WechatRig(sim, settings)


@dataclass
class AlipayRig:
    sim: AlipaySim
    settings: AlipaySettings


def alipay_rig(folder: Path, notify_url: str, speed: float = 0.001) -> AlipayRig:
    """An Alipay simulator with fresh keys, and the app's settings for it."""
    app, alipay = wechat_wire.new_key(), wechat_wire.new_key()
    keys.write_secret(folder / "alipay-app.key", wechat_wire.private_pem(app))
    (folder / "alipay-public.pem").write_bytes(wechat_wire.public_pem(alipay.public_key()))
    sim = AlipaySim(alipay, {ALIPAY_APP_ID: app.public_key()}, speed=speed)
    settings = AlipaySettings(
        gateway="", app_id=ALIPAY_APP_ID, app_key_file=str(folder / "alipay-app.key"),
        alipay_public_key_file=str(folder / "alipay-public.pem"), notify_url=notify_url,
    )  # fmt: skip
    return AlipayRig(sim, settings)


@contextmanager
def beside(folder: Path, server_url: str) -> Iterator[Path]:
    """``kiosk-central serve --provider-sims``: the simulators served, and a
    settings file (in ``folder``) that points the server's adapters at them,
    with the sandbox enabled for the method no simulator speaks yet
    (UnionPay QR)."""
    folder.mkdir(parents=True, exist_ok=True)
    wechat = wechat_rig(folder, f"{server_url}/api/v1/notify/wechatpay", speed=0.01)
    alipay = alipay_rig(folder, f"{server_url}/api/v1/notify/alipay", speed=0.01)
    with serving(wechat.sim.app) as wechat_url, serving(alipay.sim.app) as alipay_url:
        wechat.sim.base_url, alipay.sim.base_url = wechat_url, alipay_url
        path = folder / "central-settings.toml"
        path.write_text(
            settings_toml(replace(wechat.settings, gateway=wechat_url),
                          replace(alipay.settings, gateway=f"{alipay_url}/gateway.do")),
            encoding="utf-8",
        )  # fmt: skip
        yield path


def settings_toml(
    wechat: WechatSettings | None, alipay: AlipaySettings | None = None, sandbox: bool = True
) -> str:
    """The server's settings file for these provider settings."""
    lines = ["[sandbox]", f"enabled = {'true' if sandbox else 'false'}"]
    for name, section in (("wechat", wechat), ("alipay", alipay)):
        if section is not None:
            lines += ["", f"[providers.{name}]"]
            lines += [f'{k} = "{getattr(section, k)}"' for k in section.__slots__
                      if k != "timeout_s"]  # fmt: skip
    return "\n".join(lines) + "\n"
