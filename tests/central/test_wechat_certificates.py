"""WeChat Pay's certificate mode over real HTTP: the platform certificates
downloaded from the simulator's ``/v3/certificates``, decrypted with the
APIv3 key, answers and notifications checked against the certificate their
``Wechatpay-Serial`` names, a rotation followed, a forged serial refused —
and the SDK's own certificate code reading the simulator's certificates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from wechatpayv3.core import Core  # type: ignore[import-untyped]

from central.providers import wechat_wire
from central.providers.wechat import WechatPay
from central.providersim.run import wechat_rig
from central.serve import serving
from tests.central.wechat_rig import Rig, wechat_central
from tests.waiting import wait_until


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with wechat_central(tmp_path, mode="certificate") as made:
        yield made


def provider(rig: Rig) -> WechatPay:
    found = rig.central.app.state.providers["wechat"]
    assert isinstance(found, WechatPay)
    return found


def test_an_order_is_paid_with_the_signatures_checked_by_certificate(rig: Rig) -> None:
    order = rig.order(30128)  # the create call's answer: the first certificate download
    assert rig.wechat.sim.certificate_downloads == 1
    requests.post(order["qrUrl"], timeout=5)  # the phone pays; the notification is signed
    wait_until(lambda: rig.status(order["id"]) == "paid", timeout=10)
    assert rig.wechat.sim.certificate_downloads == 1  # the serial is known now
    rig.books_hold(clearing=30128, unapplied=30128)


def test_a_rotated_certificate_is_fetched_when_its_serial_first_signs(rig: Rig) -> None:
    first = rig.order(100)
    old = rig.wechat.sim.platform_key_id
    new = rig.wechat.sim.use_certificate()  # WeChat Pay rotates its platform certificate
    assert new != old
    requests.post(first["qrUrl"], timeout=5)  # notified under the new certificate
    wait_until(lambda: rig.status(first["id"]) == "paid", timeout=10)
    assert rig.wechat.sim.certificate_downloads == 2
    assert provider(rig).query(first["id"]).status == "paid"  # answers under it too


def test_a_notification_under_a_serial_wechat_never_issued_is_refused(rig: Rig) -> None:
    order = rig.order(100)
    sim = rig.wechat.sim
    forger = wechat_wire.new_key()
    body = json.dumps({"id": "EV-1", "event_type": "TRANSACTION.SUCCESS", "resource": {}})
    refused = []
    for _ in range(3):  # the forger tries again at once
        headers = wechat_wire.signed_headers(forger, "7E57ED5E41A1", body)
        answer = requests.post(f"{rig.central.url}/api/v1/notify/wechatpay", data=body,
                               headers=headers, timeout=5)  # fmt: skip
        refused.append(answer.status_code)
    assert refused == [400, 400, 400]  # FAIL: WeChat Pay would send it again
    # the create call downloaded them a moment ago: the forger's serial fetches nothing
    assert sim.certificate_downloads == 1
    assert rig.status(order["id"]) == "created"
    assert rig.central.app.state.notify_refused[("wechat", "signature")] == 3


def test_the_sdk_reads_the_simulators_certificates(tmp_path: Path) -> None:
    made = wechat_rig(tmp_path, "http://127.0.0.1:9/notify", mode="certificate")
    rotated = made.sim.use_certificate()
    with serving(made.sim.app) as url:
        made.sim.base_url = url
        certs = tmp_path / "certs"
        certs.mkdir()
        (certs / "seed.pem").write_bytes(made.sim.certificates[0][1])  # so init stays local
        sdk = Core(
            mchid=made.settings.mchid, cert_serial_no=made.settings.merchant_serial,
            private_key=Path(made.settings.merchant_key_file).read_text(),
            apiv3_key=Path(made.settings.apiv3_key_file).read_text().strip(),
            cert_dir=str(certs),
        )  # fmt: skip
        sdk._gate_way = url  # the SDK's gateway is a constant; here, the simulator
        sdk._update_certificates()  # its own request signing, decryption and loading
    loaded = sorted(f"{cert.serial_number:X}" for cert in sdk._certificates)
    assert loaded == sorted(serial for serial, _ in made.sim.certificates)
    assert rotated in loaded
