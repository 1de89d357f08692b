"""ID-003 framing: golden frames, byte-at-a-time feeding, fuzzing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.id003.frames import Frame, FrameError, FrameParser, crc16_kermit, encode

GOLDEN = [
    (0x11, b"", "FC 05 11 27 56"),  # status request
    (0x50, b"", "FC 05 50 AA 05"),  # ACK
    (0x40, b"", "FC 05 40 2B 15"),  # RESET
    (0x41, b"", "FC 05 41 A2 04"),  # STACK-1
    (0x43, b"", "FC 05 43 B0 27"),  # RETURN
    (0xC3, b"\x01", "FC 06 C3 01 8D C7"),  # inhibit
    (0xC3, b"\x00", "FC 06 C3 00 04 D6"),  # enable
    (0xC0, b"\x00\x00", "FC 07 C0 00 00 2D B5"),  # all denominations
]


def test_crc_check_value() -> None:
    assert crc16_kermit(b"123456789") == 0x2189


@pytest.mark.parametrize(("cmd", "data", "wire"), GOLDEN)
def test_golden_frames_out(cmd: int, data: bytes, wire: str) -> None:
    assert encode(cmd, data) == bytes.fromhex(wire)


@pytest.mark.parametrize(("cmd", "data", "wire"), GOLDEN)
def test_golden_frames_in_byte_at_a_time(cmd: int, data: bytes, wire: str) -> None:
    parser = FrameParser()
    out: list[Frame | FrameError] = []
    for byte in bytes.fromhex(wire):
        out += parser.feed(bytes([byte]))
    assert out == [Frame(cmd, data)]
    assert parser.pending == 0


def test_garbage_then_frame() -> None:
    out = FrameParser().feed(b"\x00\x13\x99" + encode(0x13, b"\x65"))
    assert out == [FrameError("discarded 3 byte(s) before SYNC"), Frame(0x13, b"\x65")]


def test_bad_crc_resyncs_on_next_frame() -> None:
    bad = bytearray(encode(0x11))
    bad[-1] ^= 0xFF
    out = FrameParser().feed(bytes(bad) + encode(0x1A))
    assert isinstance(out[0], FrameError) and "bad CRC" in out[0].detail
    assert out[-1] == Frame(0x1A)


def test_impossible_length() -> None:
    out = FrameParser().feed(b"\xfc\x02" + encode(0x11))
    assert out[0] == FrameError("impossible length 2")
    assert out[-1] == Frame(0x11)


def test_frame_too_long_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        encode(0x8A, bytes(251))


frames = st.builds(encode, st.integers(0, 255), st.binary(max_size=40))


@given(st.binary(max_size=300))
def test_fuzz_random_bytes_never_raise(data: bytes) -> None:
    parser = FrameParser()
    for item in parser.feed(data):
        assert isinstance(item, Frame | FrameError)


@given(frames, st.binary(max_size=30), st.integers(0, 2**16), st.integers(1, 64))
def test_fuzz_mutated_frame_then_resync(
    frame: bytes, garbage: bytes, seed: int, chunk: int
) -> None:
    mutated = bytearray(frame)
    mutated[seed % len(mutated)] ^= (seed >> 8) % 255 + 1  # flip some bits of one byte
    good = encode(0x1A)
    # A false SYNC may announce up to 255 bytes: enough good frames follow to
    # cover it (the driver clears the parser on a reply timeout instead).
    stream = garbage + bytes(mutated) + good * 52
    parser = FrameParser()
    out: list[Frame | FrameError] = []
    for i in range(0, len(stream), chunk):
        out += parser.feed(stream[i : i + chunk])
    assert all(isinstance(item, Frame | FrameError) for item in out)
    # whatever the damage, the parser is back in step by the good frames
    assert out[-1] == Frame(0x1A)


def test_clear_drops_a_false_frame_waiting_for_bytes() -> None:
    parser = FrameParser()
    assert parser.feed(b"\xfc\xf0\x11") == []  # looks like the start of a 240-byte frame
    parser.clear()
    assert parser.feed(encode(0x11)) == [Frame(0x11)]
