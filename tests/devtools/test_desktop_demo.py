"""The demo on a desktop: under Xvfb (Debian's ``xvfb``, an X server with no
screen), the kiosk window scaled to fit, in its portrait or landscape shape,
and the simulator window beside it; SIGTERM ends it cleanly."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import PySide6
import pytest

from devtools.desktop import fit

DEV = str(Path(sys.executable).with_name("kiosk-dev"))
XCB = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
PLACED = re.compile(
    r"kiosk window (\d+)x(\d+)\+(\d+)\+(\d+), simulators (\d+)x(\d+)\+(\d+)\+(\d+), "
    r"scale ([0-9.]+), screen (\d+)x(\d+)"
)


def test_the_fit_keeps_the_shape_and_leaves_room_beside_it() -> None:
    portrait = fit((1080, 1920), (1366, 768))
    assert portrait.scale == pytest.approx(768 * 0.95 / 1920)
    width, height = portrait.window
    assert height <= 768 and width + 520 <= 1366
    landscape = fit((1920, 1080), (1920, 1080))
    assert landscape.window[0] + 520 <= 1920 and landscape.window[1] <= 1080
    assert fit((1080, 1920), (3840, 2160)).scale == 1.0  # never larger than the panel


def test_qt_finds_every_library_its_xcb_plugin_needs() -> None:
    """packaging/dev/apt-packages.txt installs them (PySide6 brings Qt, not these)."""
    linked = subprocess.run(["ldd", str(XCB)], capture_output=True, text=True, check=True)
    missing = [line.split()[0] for line in linked.stdout.splitlines() if "not found" in line]
    assert missing == []


@contextmanager
def xvfb(screen: str) -> Iterator[str]:
    """An X server with no screen, ``screen`` (WIDTHxHEIGHT) large; its DISPLAY."""
    binary = shutil.which("Xvfb")
    if binary is None:
        pytest.skip("needs Xvfb (Debian's xvfb; make test installs it)")
    server = subprocess.Popen(
        [binary, "-displayfd", "1", "-screen", "0", f"{screen}x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    try:
        yield f":{server.stdout.readline().strip()}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


@pytest.mark.parametrize(
    ("panel", "screen"), [("1080x1920", "1366x768"), ("1920x1080", "1920x1080")]
)
def test_the_windowed_demo_under_xvfb(tmp_path: Path, panel: str, screen: str) -> None:
    with xvfb(screen) as display:
        env = {
            k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")
        }
        command = [DEV, "demo", "--ui-only", "--panel", panel, "--out", str(tmp_path / "demo")]
        process = subprocess.Popen(
            command, env=env | {"DISPLAY": display}, start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert process.stdout is not None
        lines: list[str] = []
        found = None
        deadline = time.monotonic() + 90
        try:
            while found is None and time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    break
                lines.append(line)
                found = PLACED.search(line)
            assert found is not None, "".join(lines[-30:])
            while "the desktop as it looks" not in lines[-1] and time.monotonic() < deadline:
                lines.append(process.stdout.readline())
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                rest = process.communicate(timeout=60)[0]
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # its pcscd and central server too
                rest = process.communicate()[0] + "\n(killed: SIGTERM did not end it)"
    assert process.returncode == 0, "".join(lines) + rest
    kw, kh, kx, ky, sw, sh, sx, sy = (int(v) for v in found.groups()[:8])
    screen_w, screen_h = (int(v) for v in found.groups()[9:])
    panel_w, panel_h = (int(v) for v in panel.split("x"))
    assert (screen_w, screen_h) == tuple(int(v) for v in screen.split("x"))
    assert abs(kw / kh - panel_w / panel_h) < 0.01  # its shape kept
    assert kx + kw <= screen_w and ky + kh <= screen_h  # on the screen, whole
    assert sx >= kx + kw and sx + sw <= screen_w and sy + sh <= screen_h  # beside it, not on it
    assert (tmp_path / "demo" / "desktop.png").stat().st_size > 10_000
