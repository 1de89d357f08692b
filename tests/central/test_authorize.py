"""Card authorization through the sandbox acquirer, by its documented test PANs."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from central.serve import Central
from tests.central.conftest import Api

APPROVE, DECLINE, STALL = "6222021234567840123", "6222020005000002", "6222020004000003"


def request(reference: str, pan: str, fen: int = 16640) -> dict[str, object]:
    return {
        "reference": reference,
        "amount": {"minor": fen, "currency": "CNY"},
        "card": {"pan": pan, "expiry": "2812"},
        "masked_pan": pan[:6] + "*" * (len(pan) - 10) + pan[-4:],
        "icc": {"9F26": "0102030405060708"},
    }


def test_approved_declined_and_idempotent(central: Central) -> None:
    api = Api(central, "K-1")
    first = api.post("/cards/authorize", json=request("PAY-1", APPROVE)).json()
    assert first["approved"] is True and len(first["auth_code"]) == 6
    assert api.post("/cards/authorize", json=request("PAY-1", APPROVE)).json() == first
    declined = api.post("/cards/authorize", json=request("PAY-2", DECLINE)).json()
    assert declined == {"reference": "PAY-2", "approved": False, "auth_code": "",
                        "reason": "51 insufficient funds"}  # fmt: skip
    invalid = api.post("/cards/authorize", json=request("PAY-3", "6222021234567840124")).json()
    assert invalid["approved"] is False and invalid["reason"] == "14 invalid card number"
    other = Api(central, "K-2")  # another kiosk cannot read or reuse the reference
    assert other.post("/cards/authorize", json=request("PAY-1", APPROVE)).status_code == 409


def test_the_stalling_pan_times_the_kiosk_out(central: Central) -> None:
    central.app.state.acquirer_stall_s = 2.0
    api = Api(central, "K-1")
    with pytest.raises(requests.Timeout):
        api.post("/cards/authorize", json=request("PAY-9", STALL), timeout=0.5)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reference", "PAY'; DROP TABLE authorizations;--"),
        ("amount", {"minor": 1.5, "currency": "CNY"}),
        ("amount", {"minor": -100, "currency": "CNY"}),
        ("card", {"pan": "<script>"}),
    ],
)
def test_bad_authorization_requests_are_refused(
    central: Central, field: str, value: object
) -> None:
    api = Api(central, "K-1")
    body = request("PAY-5", APPROVE) | {field: value}
    assert api.post("/cards/authorize", json=body).status_code == 422


def test_the_full_pan_is_never_stored(central: Central, tmp_path: Path) -> None:
    api = Api(central, "K-1")
    api.post("/cards/authorize", json=request("PAY-1", APPROVE))
    api.post("/cards/authorize", json=request("PAY-2", DECLINE))
    central.app.state.engine.dispose()
    data = b"".join(p.read_bytes() for p in tmp_path.glob("central.db*"))
    assert APPROVE.encode() not in data and DECLINE.encode() not in data
    assert b"622202*********0123" in data
