"""Fuzz targets: every parser the kiosk runs on bytes it did not write.

A target takes one input (bytes) and raises only on a defect: an exception
other than the parser's own documented error, or a broken property. The
test suite feeds them with hypothesis (``test_fuzz.py``); ``bench/fuzz.py``
feeds them for a given count with mutations of the seeds and prints inputs
per second. Seeds are real traffic: the simulators' replies to the drivers'
hosts through a note's whole journey, a simulated EMV card's answers, a bill
as the server sends it, a signed config bundle.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from config import bundle
from config.loader import ConfigError, defaults, merge, validate
from drivers import acceptor as ev
from drivers.cards import emv, tlv
from drivers.cards.apdu import CardError
from drivers.cctalk.frames import Packet, PacketError, PacketParser
from drivers.cctalk.host import CcTalkHost
from drivers.id003.frames import Frame, FrameError, FrameParser
from drivers.id003.host import Id003Host
from drivers.printer.status import PrinterStatus, decode
from drivers.sim.cctalk_device import CcTalkDevice
from drivers.sim.id003_device import Id003Device
from drivers.sim.vicc import EmvCard
from kiosk.shell.central import BadAnswer, bill_from_json

PRIVATE, PUBLIC = bundle.new_key()
FCI = bytes.fromhex("6f1a840e315041592e5359532e4444463031a5088801015f2d027a68")  # a PSE's FCI


@dataclass(frozen=True)
class Target:
    name: str
    check: Callable[[bytes], None]
    seeds: tuple[bytes, ...]


# -- bill acceptors: the parser, then the host's state machine ---------------
def _chunked(feed: Callable[[bytes], list[Any]], data: bytes, kind: type) -> list[Any]:
    """The frames, fed in pieces: they must be those fed at once (the error
    reports may differ: garbage arriving in two pieces is reported twice)."""
    items = [item for i in range(0, len(data), 7) for item in feed(data[i : i + 7])]
    return [item for item in items if isinstance(item, kind)]


@dataclass(frozen=True)
class _Protocol:
    """What differs between the two bill-acceptor protocols, for one check."""

    parser: Callable[[], FrameParser | PacketParser]
    frame: type[Frame] | type[Packet]
    error: type[FrameError] | type[PacketError]
    host: Callable[[], Id003Host | CcTalkHost]
    handle: Callable[[Any, Any, float], list[ev.AcceptorEvent]]  # the host's on_frame/on_packet


ID003 = _Protocol(FrameParser, Frame, FrameError, Id003Host, lambda h, f, t: h.on_frame(f, t))
CCTALK = _Protocol(PacketParser, Packet, PacketError, CcTalkHost, lambda h, f, t: h.on_packet(f, t))
NOTES = frozenset({1000, 2000, 5000, 10000})


def check_wire(protocol: _Protocol, data: bytes) -> None:
    whole: list[Any] = protocol.parser().feed(data)
    frames = [item for item in whole if isinstance(item, protocol.frame)]
    assert _chunked(protocol.parser().feed, data, protocol.frame) == frames, (
        "depends on how bytes arrive"
    )
    host: Any = protocol.host()  # its on_error takes its own protocol's error
    host.enable(NOTES)
    now = 0.0
    for item in whole:
        assert isinstance(item, protocol.frame | protocol.error)
        host.next_request(now)
        if isinstance(item, protocol.frame):
            protocol.handle(host, item, now)
        else:
            host.on_error(item)
        now += 0.15


def _session(protocol: _Protocol, device: Id003Device | CcTalkDevice) -> bytes:
    """The device's reply bytes through power-up, a note escrowed and stacked."""
    out = bytearray()
    host, parser = protocol.host(), protocol.parser()
    host.enable(NOTES)
    now = 0.0
    for step in range(80):
        if step == 20:
            device.insert(20)
        reply = device.receive(host.next_request(now).wire)
        out += reply
        for item in parser.feed(reply):
            if isinstance(item, protocol.frame):
                for event in protocol.handle(host, item, now):
                    if isinstance(event, ev.Escrowed):
                        host.stack()
                    elif isinstance(event, ev.Stacked):
                        host.confirm_credit(event.credit_id)
        now += 0.15
    return bytes(out)


# -- the printer's status bytes ----------------------------------------------
def check_escpos_status(data: bytes) -> None:
    replies: dict[int, int | None] = {
        n: (data[n - 1] if n - 1 < len(data) and data[n - 1] != 0xFF else None)
        for n in (1, 2, 3, 4)
    }
    status = decode(replies)
    assert isinstance(status, PrinterStatus)


# -- smart cards ---------------------------------------------------------------
def check_tlv(data: bytes) -> None:
    try:
        parsed = tlv.parse(data)
    except tlv.TlvError:
        parsed = ()
    for item in tlv.walk(parsed):
        assert isinstance(item.tag, int)
    with contextlib.suppress(tlv.TlvError):
        tlv.dol(data)


class _GarbledCard:
    """The simulated EMV card, its answers garbled by the fuzz input."""

    def __init__(self, data: bytes) -> None:
        self.card = EmvCard()
        self.data = data
        self.at = 0

    def _byte(self) -> int:
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1]

    def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]:
        answer = bytearray(self.card.apdu(bytes(apdu)))
        how = self._byte() % 5
        if how == 1 and answer:  # one byte changed
            answer[self._byte() % len(answer)] = self._byte()
        elif how == 2:  # cut short
            del answer[self._byte() % (len(answer) + 1) :]
        elif how == 3:  # replaced by the input's bytes
            size = self._byte() % 40
            answer = bytearray(self.data[self.at : self.at + size]) + answer[-2:]
            self.at += size
        if len(answer) < 2:
            return list(answer), 0x6F, 0x00  # what a reader reports for a short answer
        return list(answer[:-2]), answer[-2], answer[-1]


def check_emv(data: bytes) -> None:
    card = _GarbledCard(data)
    try:
        read = emv.read(card.transmit, emv.Terminal(amount_fen=100))
    except (CardError, tlv.TlvError):
        return
    shown = read.summary.masked_pan
    assert sum(c.isdigit() for c in shown) <= 10, f"more than 6 + 4 digits shown: {shown}"
    assert "sensitive" not in repr(read.summary)


# -- the server's answers ------------------------------------------------------
BILL = {
    "service": "electricity", "account": "3301234567", "holder": "王*华",
    "lines": [{"label_zh": "10月电费", "label_en": "Oct", "amount_fen": 16640,
               "due_date": "2026-11-30"}],
    "coupons": [], "prepaid": False,
}  # fmt: skip


def check_server_json(data: bytes) -> None:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return  # requests' .json() raises ValueError: the client treats it as nonsense
    with contextlib.suppress(BadAnswer):
        bill_from_json(value)


# -- config bundles ------------------------------------------------------------
def signed_bundle(config: dict[str, Any] | None = None, version: int = 2) -> bytes:
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    document = bundle.sign(
        {"version": version, "expires": expires, "target": {"group": "default"},
         "config": config if config is not None else {"kiosk": {"location": "Lobby"}}},
        PRIVATE,
    )  # fmt: skip
    return bundle.canonical(document)


def check_bundle(data: bytes) -> None:
    try:
        parsed = bundle.parse(data, PUBLIC)
    except bundle.BundleError:
        return
    with contextlib.suppress(ConfigError):
        validate(merge(defaults(), parsed.config), "bundle")


def check_signed_config(data: bytes) -> None:
    """Any JSON object as a bundle's config, correctly signed: the signature
    passes, so the schema is what must refuse it (ConfigError only)."""
    try:
        config = json.loads(data)
    except (ValueError, RecursionError):
        return
    if not isinstance(config, dict):
        return
    check_bundle(signed_bundle(config))


def targets() -> list[Target]:
    return [
        Target("id003", partial(check_wire, ID003), (_session(ID003, Id003Device()),)),
        Target("cctalk", partial(check_wire, CCTALK), (_session(CCTALK, CcTalkDevice()),)),
        Target("escpos-status", check_escpos_status, (b"\x16\x12\x12\x12", b"\x1e\x1a\x7e\x72")),
        Target("tlv", check_tlv, (FCI,)),
        Target("emv-apdu", check_emv, (bytes(64), bytes(range(256)))),
        Target("server-json", check_server_json, (json.dumps(BILL).encode(),)),
        Target("bundle", check_bundle, (signed_bundle(),)),
        Target("bundle-config", check_signed_config, (json.dumps(
            {"tariffs": {"parking": {"type": "parking", "rate_fen": 300}}}).encode(),)),
    ]  # fmt: skip


def mutate(rng: random.Random, seed: bytes) -> bytes:
    """One input for the bench: the seed with a few random edits, or random bytes."""
    if rng.random() < 0.1:
        return rng.randbytes(rng.randrange(0, 64))
    data = bytearray(seed)
    for _ in range(rng.randrange(1, 6)):
        at = rng.randrange(len(data) + 1)
        edit = rng.randrange(5)
        if edit == 0 and data:
            data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif edit == 1 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif edit == 2:
            data[at:at] = rng.randbytes(rng.randrange(1, 8))
        elif edit == 3:
            del data[at : at + rng.randrange(1, 8)]
        else:  # a piece of the seed repeated elsewhere
            start = rng.randrange(len(seed) + 1)
            data[at:at] = seed[start : start + rng.randrange(1, 16)]
    return bytes(data)
