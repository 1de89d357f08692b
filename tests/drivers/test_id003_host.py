"""The ID-003 host against the simulator through an in-memory link (no pty):
the start-up frames, and every status, reject and failure code."""

from __future__ import annotations

import pytest

from drivers import acceptor as ev
from drivers.id003.codes import FAILURE_CODES, REJECT_REASONS, Status
from drivers.id003.frames import Frame, FrameParser, encode
from drivers.id003.host import Id003Host, Phase
from drivers.sim.id003_device import Id003Device


class Link:
    """Host and device joined back to back; ``now`` is a counter, not a clock."""

    def __init__(self, device: Id003Device | None = None, host: Id003Host | None = None) -> None:
        self.device = device or Id003Device()
        self.host = host or Id003Host()
        self.now = 0.0
        self.sent: list[bytes] = []

    def step(self) -> list[ev.AcceptorEvent]:
        self.now += 0.15
        request = self.host.next_request(self.now)
        self.sent.append(request.wire)
        reply = self.device.receive(request.wire)
        if not request.expects_reply:
            return []
        out: list[ev.AcceptorEvent] = []
        items = FrameParser().feed(reply)
        if not items:
            return self.host.on_timeout(self.now)
        for item in items:
            out += (
                self.host.on_frame(item, self.now)
                if isinstance(item, Frame)
                else self.host.on_error(item)
            )
        return out

    def run(self, steps: int) -> list[ev.AcceptorEvent]:
        out: list[ev.AcceptorEvent] = []
        for _ in range(steps):
            out += self.step()
        return out

    def ready(self) -> ev.Ready:
        for event in self.run(20):
            if isinstance(event, ev.Ready):
                return event
        raise AssertionError("never ready")


def test_start_up_frames() -> None:
    link = Link()
    link.ready()
    expected = [
        "FC 05 11 27 56",  # status: POWER UP
        "FC 05 40 2B 15",  # reset
        "FC 05 11 27 56",  # status: INITIALIZE
        "FC 05 8A",  # currency assign
        "FC 05 88",  # version
        "FC 07 C0 00 00 2D B5",  # denominations: all
        "FC 07 C1 00 00",  # security
        "FC 06 C2 00",  # polling mode
        "FC 06 C4 00",  # all directions
        "FC 06 C3 01 8D C7",  # inhibit until the app enables
    ]
    for wire, prefix in zip(link.sent, expected, strict=False):
        assert wire.hex(" ").upper().startswith(prefix)
    assert link.host.phase is Phase.READY


def test_enable_sends_the_mask_and_uninhibits() -> None:
    link = Link()
    link.ready()
    link.host.enable(frozenset({100, 500, 1000}))  # no ¥20, ¥50, ¥100
    link.run(3)
    assert encode(0xC0, bytes([0b111000, 0])) in link.sent
    assert encode(0xC3, b"\x00") in link.sent
    assert not link.device.inhibited and link.device.status is Status.IDLING


@pytest.mark.parametrize(("code", "reason"), sorted(REJECT_REASONS.items()))
def test_every_reject_code(code: int, reason: str) -> None:
    link = Link()
    link.ready()
    link.device.status, link.device.data = Status.REJECTING, bytes([code])
    assert ev.Rejected(reason, code) in link.step()


@pytest.mark.parametrize(("code", "text"), sorted(FAILURE_CODES.items()))
def test_every_failure_code(code: int, text: str) -> None:
    link = Link()
    link.ready()
    link.device.fail(code)
    assert link.step() == [ev.Failed(code, text)]


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (Status.JAM_IN_ACCEPTOR, ev.Jammed(ev.Where.ACCEPTOR)),
        (Status.JAM_IN_STACKER, ev.Jammed(ev.Where.STACKER)),
        (Status.STACKER_FULL, ev.CashboxFull()),
        (Status.STACKER_OPEN, ev.CashboxRemoved()),
        (Status.CHEATED, ev.CheatDetected("the acceptor reports a cheat attempt")),
        (Status.PAUSE, ev.Paused()),
        (
            Status.COMMUNICATION_ERROR,
            ev.ProtocolError("the acceptor reports a communication error"),
        ),
        (
            Status.INVALID_COMMAND,
            ev.ProtocolError("the acceptor refused the last command as invalid"),
        ),
        (Status.POWER_UP, ev.PoweredUp()),
        (Status.POWER_UP_BILL_IN_ACCEPTOR, ev.PoweredUpWithNote(ev.Where.ACCEPTOR)),
        (Status.POWER_UP_BILL_IN_STACKER, ev.PoweredUpWithNote(ev.Where.STACKER)),
    ],
)
def test_every_status_maps_to_an_event(status: Status, event: ev.AcceptorEvent) -> None:
    link = Link()
    link.ready()
    link.device.stuck = True
    link.device.status = status
    assert event in link.step()


def test_a_fault_clears_when_the_device_idles_again() -> None:
    link = Link()
    link.ready()
    link.device.remove_cashbox()
    assert link.step() == [ev.CashboxRemoved()]
    link.device.restore_cashbox()
    assert link.step() == [ev.FaultCleared(), ev.CashboxRestored()]


def test_unknown_escrow_code_is_returned() -> None:
    link = Link()
    link.ready()
    link.device.status, link.device.data = Status.ESCROW, b"\x68"  # no slot 8 here
    events = link.step()
    assert events[0].__class__ is ev.Rejected
    assert encode(0x43) == link.host.next_request(link.now).wire  # RETURN queued


def test_wrong_echo_restarts_the_initialisation() -> None:
    link = Link()
    link.ready()
    link.host.enable(frozenset({100}))
    link.step()  # a status poll: idle, so the settings are queued
    request = link.host.next_request(link.now)
    assert request.cmd == 0xC0
    [error] = link.host.on_frame(Frame(request.cmd, b"\xff\xff"), link.now)
    assert isinstance(error, ev.ProtocolError) and "echoed as" in error.detail
    assert link.host.phase is Phase.RESETTING
