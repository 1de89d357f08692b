"""Hypothesis fuzzing of every parser (``targets.py``): arbitrary bytes,
mutations of real traffic, and arbitrary JSON for the server's answers and a
bundle's config. A failure is a parser raising anything but its own error,
or breaking its property; hypothesis shrinks it to the smallest input."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.targets import (
    BILL,
    Target,
    check_server_json,
    check_signed_config,
    mutate,
    targets,
)

TARGETS = {target.name: target for target in targets()}
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=5),
    max_leaves=20,
)  # fmt: skip


def test_every_parser_has_a_target() -> None:
    assert set(TARGETS) == {"id003", "cctalk", "escpos-status", "tlv", "emv-apdu",
                            "server-json", "bundle", "bundle-config"}  # fmt: skip
    for target in TARGETS.values():
        for seed in target.seeds:
            target.check(seed)  # real traffic passes


@pytest.mark.parametrize("name", sorted(TARGETS))
@FUZZ
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes(name: str, data: bytes) -> None:
    TARGETS[name].check(data)


@pytest.mark.parametrize("name", sorted(TARGETS))
@FUZZ
@given(rng=st.randoms(use_true_random=False), which=st.integers(min_value=0, max_value=7))
def test_mutated_real_traffic(name: str, rng: random.Random, which: int) -> None:
    target: Target = TARGETS[name]
    target.check(mutate(rng, target.seeds[which % len(target.seeds)]))


@FUZZ
@given(value=JSON)
def test_server_answers_of_any_shape(value: Any) -> None:
    check_server_json(json.dumps(value).encode())


@FUZZ
@given(key=st.sampled_from(sorted(BILL)), value=JSON)
def test_a_bill_with_one_field_of_any_shape(key: str, value: Any) -> None:
    check_server_json(json.dumps({**BILL, key: value}).encode())


@FUZZ
@given(
    config=st.dictionaries(
        st.sampled_from(["kiosk", "tariffs", "cash", "central", "ui", "maintenance", "x"]),
        JSON,
        max_size=3,
    )
)
def test_signed_bundles_with_any_config(config: dict[str, Any]) -> None:
    check_signed_config(json.dumps(config).encode())
