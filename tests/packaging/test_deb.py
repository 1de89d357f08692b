"""make deb's two packages: what they hold, lintian, the units, the firewall,
and the kiosk package installed, upgraded, reinstalled and purged with dpkg
on this machine (root), ``kiosk --version`` run from the PATH."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication

from devtools.deb import version
from devtools.gallery import preview_window
from kiosk.flow import State
from kiosk.flow.view import View
from kiosk.money import Language
from launcher.common import settings_of
from tests.packaging import builds

KIOSK_FILES = [
    "./lib/systemd/system/kiosk.service",
    "./lib/systemd/system/kiosk-backup.service",
    "./lib/systemd/system/kiosk-backup.timer",
    "./lib/systemd/system/kiosk-firewall.service",
    "./lib/systemd/system/kiosk-update.service",
    "./lib/systemd/system/kiosk-update.timer",
    "./usr/lib/sysusers.d/kiosk.conf",
    "./usr/lib/tmpfiles.d/kiosk.conf",
    "./lib/udev/rules.d/60-kiosk.rules",
    "./usr/lib/systemd/journald.conf.d/kiosk.conf",
    "./usr/share/kiosk/kiosk.nft",
    "./etc/kiosk/kiosk.toml",
    "./etc/kiosk/firewall.nft",
    "./etc/pam.d/kiosk",
    f"./opt/kiosk/releases/{version()}/bin/kiosk",
    "./usr/share/doc/kiosk/copyright",
]
CENTRAL_FILES = [
    "./lib/systemd/system/kiosk-central@.service",
    "./lib/systemd/system/kiosk-central-backup.service",
    "./lib/systemd/system/kiosk-central-backup.timer",
    "./lib/systemd/system/kiosk-central-pgbackrest-full.service",
    "./lib/systemd/system/kiosk-central-pgbackrest-full.timer",
    "./lib/systemd/system/kiosk-central-pgbackrest-incr.service",
    "./lib/systemd/system/kiosk-central-pgbackrest-incr.timer",
    "./etc/pgbackrest/conf.d/kiosk-central.conf",
    "./usr/lib/sysusers.d/kiosk-central.conf",
    "./usr/lib/tmpfiles.d/kiosk-central.conf",
    "./etc/nginx/sites-available/kiosk-central",
    "./etc/kiosk-central/environment",
    "./usr/share/kiosk-central/postgresql.conf",
    f"./opt/kiosk-central/releases/{version()}/bin/kiosk-central",
]


@pytest.fixture(scope="module")
def built() -> builds.Built:
    reason = builds.missing()
    if reason:
        pytest.skip(reason)
    return builds.wait()


def _deb(*args: str | Path) -> str:
    return subprocess.run(["dpkg-deb", *map(str, args)], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def _contents(deb: Path) -> dict[str, str]:
    """Path -> the listing's line (mode, owner, link target)."""
    found = {}
    for line in _deb("--contents", deb).splitlines():
        path = line.split(maxsplit=5)[5].split(" -> ")[0]
        found[path] = line
    return found


def test_the_kiosk_package_holds_its_units_and_system_files(built: builds.Built) -> None:
    listed = _contents(built.kiosk)
    assert [f for f in KIOSK_FILES if f not in listed] == []
    assert "-> /opt/kiosk/current/bin/kiosk" in listed["./usr/bin/kiosk"]
    assert all(" root/root " in line for line in listed.values())
    assert not [p for p in listed if "__pycache__" in p]  # compiled at install, not shipped
    info = _deb("--info", built.kiosk)
    assert f"Version: {version()}" in info
    for needed in ("cage", "pcscd", "fonts-wqy-microhei", "nftables", "udev"):
        assert needed in info.split("Depends:")[1].split("\n")[0]
    assert "postinst" in info and "prerm" in info and "postrm" in info


def test_the_server_package_holds_its_unit_nginx_site_and_no_qt(built: builds.Built) -> None:
    listed = _contents(built.central)
    assert [f for f in CENTRAL_FILES if f not in listed] == []
    assert not [p for p in listed if "/PySide6/" in p or "/smartcard/" in p]
    archive = subprocess.run(
        ["dpkg-deb", "--fsys-tarfile", str(built.central)], check=True, capture_output=True
    ).stdout
    assert b"LimitNOFILE=65536" in archive


def test_lintian_finds_no_errors_in_either_package(built: builds.Built) -> None:
    errors = [line for line in built.lintian.splitlines() if line.startswith("E:")]
    assert errors == [] and built.lintian_rc == 0, built.lintian[-3000:]


def test_the_firewall_ruleset_and_the_site_file_parse(tmp_path: Path) -> None:
    if shutil.which("nft") is None:
        pytest.skip("nft is not installed (make test installs nftables)")
    root = Path(__file__).resolve().parents[2] / "packaging" / "deb" / "kiosk"
    both = tmp_path / "both.nft"
    both.write_text(
        (root / "usr/share/kiosk/kiosk.nft").read_text()
        + "add element inet kiosk central_v4 { 203.0.113.10 }\n"
        + "add element inet kiosk maintenance_v4 { 192.168.50.0/24 }\n"
        + (root / "etc/kiosk/firewall.nft").read_text()
    )
    checked = subprocess.run(["nft", "-c", "-f", str(both)], check=False, capture_output=True,
                             text=True)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    broken = tmp_path / "broken.nft"
    broken.write_text("table inet kiosk { chain output { policy drop } }\n")
    refused = subprocess.run(["nft", "-c", "-f", str(broken)], check=False, capture_output=True)
    assert refused.returncode != 0


@pytest.fixture
def dpkg_root() -> Iterator[None]:
    if os.geteuid() != 0 or shutil.which("dpkg") is None:
        pytest.skip("installing a package needs root and dpkg (CI runs as root)")
    _dpkg("--purge", "kiosk", check=False)
    yield
    _dpkg("--purge", "kiosk", check=False)


def _dpkg(*args: str | Path, check: bool = True) -> str:
    done = subprocess.run(["dpkg", *map(str, args)], check=False, capture_output=True, text=True)
    assert done.returncode == 0 or not check, done.stdout + done.stderr
    return done.stdout + done.stderr


def _kiosk_version() -> str:
    return subprocess.run(["kiosk", "--version"], check=True, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin"}).stdout.strip()  # fmt: skip


def test_the_kiosk_package_installs_upgrades_and_purges(
    built: builds.Built, dpkg_root: None
) -> None:
    _dpkg("-i", built.kiosk)
    assert _kiosk_version() == f"kiosk {version()}"  # /usr/bin/kiosk, Debian's python3
    assert os.readlink("/opt/kiosk/current") == f"releases/{version()}"
    user = pwd.getpwnam("kiosk")
    assert user.pw_dir == "/var/lib/kiosk" and user.pw_shell == "/usr/sbin/nologin"
    assert {"dialout", "video", "input"} <= {g.gr_name for g in grp.getgrall()
                                             if "kiosk" in g.gr_mem}  # fmt: skip
    data = os.stat("/var/lib/kiosk")
    assert stat.S_IMODE(data.st_mode) == 0o700 and data.st_uid == user.pw_uid
    units = sorted(Path("/lib/systemd/system").glob("kiosk*"))
    verified = subprocess.run(["systemd-analyze", "verify", "--man=no", *map(str, units)],
                              check=False, capture_output=True, text=True)  # fmt: skip
    assert verified.returncode == 0 and "kiosk" not in verified.stderr, verified.stderr
    assert list(Path(f"/opt/kiosk/releases/{version()}/lib").rglob("__pycache__"))  # compiled

    _dpkg("-i", built.upgrade)  # an upgrade: the new release, the link switched
    assert os.readlink("/opt/kiosk/current") == f"releases/{builds.UPGRADE}"
    assert not Path(f"/opt/kiosk/releases/{version()}").exists()  # nothing left behind
    assert _kiosk_version() == f"kiosk {version()}"  # the wheel's own version
    _dpkg("-i", built.upgrade)  # the same again: the scripts run twice, nothing breaks
    assert os.readlink("/opt/kiosk/current") == f"releases/{builds.UPGRADE}"

    Path("/var/lib/kiosk/journal.db").write_bytes(b"the money")  # a journal to keep
    said = _dpkg("--purge", "kiosk")
    assert "kept /var/lib/kiosk" in said
    assert not Path("/opt/kiosk").exists() and not Path("/usr/bin/kiosk").exists()
    assert not Path("/etc/kiosk/kiosk.toml").exists()  # conffiles purged
    assert Path("/var/lib/kiosk/journal.db").read_bytes() == b"the money"
    _dpkg("-i", built.kiosk)  # installs again after a purge, the user already there
    assert _kiosk_version() == f"kiosk {version()}"
    Path("/var/lib/kiosk/journal.db").unlink()


def test_a_release_installed_beside_the_package_switches_and_switches_back(
    built: builds.Built, dpkg_root: None, tmp_path: Path
) -> None:
    """kiosk update's steps on the real packages: the upgrade's release tree
    installed beside the package's own (not through dpkg), the link switched,
    the new release's kiosk runs from where it lives; then back."""
    from launcher import releases  # noqa: PLC0415

    _dpkg("-i", built.kiosk)
    place = releases.Place(Path("/opt/kiosk"), tmp_path / "update", tmp_path)
    try:
        releases.stage(place, built.upgrade, builds.UPGRADE)
        new = Path(f"/opt/kiosk/releases/{builds.UPGRADE}")
        assert (new / "bin" / "kiosk").exists() and list((new / "lib").rglob("__pycache__"))
        assert os.readlink("/opt/kiosk/current") == f"releases/{version()}"  # not yet
        gate = releases.switch(place, builds.UPGRADE, datetime.now(UTC))
        assert os.readlink("/opt/kiosk/current") == f"releases/{builds.UPGRADE}"
        ran = subprocess.run(["/usr/bin/kiosk", "--version"], capture_output=True, text=True,
                             check=True, env={"PATH": "/usr/bin:/bin"})  # fmt: skip
        assert ran.stdout.strip() == f"kiosk {version()}"
        assert os.path.realpath("/usr/bin/kiosk").startswith(str(new))
        releases.roll_back(place, gate)
        assert os.readlink("/opt/kiosk/current") == f"releases/{version()}"
        assert _kiosk_version() == f"kiosk {version()}"
    finally:
        _dpkg("--purge", "kiosk", check=False)
    assert not Path("/opt/kiosk").exists()  # the release installed beside went too


def test_the_server_package_installs_and_purges(built: builds.Built, dpkg_root: None) -> None:
    try:
        _dpkg("-i", built.central)
        done = subprocess.run(["kiosk-central", "--version"], check=False, capture_output=True,
                              text=True, env={"PATH": "/usr/bin:/bin"})  # fmt: skip
        assert done.stdout.strip() == f"kiosk-central {version()}", done.stderr
        units = [str(u) for u in Path("/lib/systemd/system").glob("kiosk-central*")]
        verified = subprocess.run(["systemd-analyze", "verify", "--man=no", *units],
                                  check=False, capture_output=True, text=True)  # fmt: skip
        assert verified.returncode == 0 and "kiosk-central" not in verified.stderr, verified.stderr
        assert pwd.getpwnam("kiosk-central").pw_dir == "/var/lib/kiosk-central"
    finally:
        _dpkg("--purge", "kiosk-central", check=False)
    assert not Path("/opt/kiosk-central").exists()


CAGE = ["WLR_BACKENDS=headless", "WLR_RENDERER=pixman", "WLR_LIBINPUT_NO_DEVICES=1",
        "QT_QPA_PLATFORM=wayland"]  # fmt: skip


def _as_kiosk(*command: str) -> list[str]:
    return ["setpriv", "--reuid=kiosk", "--regid=kiosk", "--init-groups", *command]


def test_the_installed_kiosk_runs_in_a_headless_cage_and_paints_the_attract_screen(
    built: builds.Built, dpkg_root: None, tmp_path: Path, qapp: object
) -> None:
    """As kiosk.service runs it: cage, the kiosk's user, Qt on Wayland; READY=1
    over the notify socket; grim's screenshot against the offscreen one."""
    for tool in ("cage", "grim", "setpriv"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (make test installs it)")
    _dpkg("-i", built.kiosk)
    home = Path(tempfile.mkdtemp(prefix="kiosk-cage-", dir="/tmp"))  # the kiosk user reaches it
    runtime = home / "run"
    runtime.mkdir(parents=True)
    site = home / "site.toml"
    site.write_text(f'[paths]\ndata_dir = "{home / "var"}"\n[card_reader]\nenabled = false\n'
                    '[central]\nurl = "http://127.0.0.1:9"\n')  # fmt: skip
    user = pwd.getpwnam("kiosk")
    for path in (home, runtime, site):
        os.chown(path, user.pw_uid, user.pw_gid)
    runtime.chmod(0o700)
    address = str(home / "notify.sock")
    env = [f"XDG_RUNTIME_DIR={runtime}", f"NOTIFY_SOCKET={address}", *CAGE]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(address)
            os.chmod(address, 0o777)
            sock.settimeout(60)
            cage = subprocess.Popen(
                _as_kiosk("env", *env, "cage", "--", "/usr/bin/kiosk", "--config", str(site),
                          "run"),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                said = []
                while "READY=1\nSTATUS=ready" not in said:
                    said.append(sock.recv(4096).decode())
                time.sleep(1)  # the flow's own first screen, drawn
                shot = home / "cage.png"
                grabbed = subprocess.run(
                    _as_kiosk("env", f"XDG_RUNTIME_DIR={runtime}", "WAYLAND_DISPLAY=wayland-0",
                              "grim", str(shot)),
                    check=False, capture_output=True, text=True,
                )  # fmt: skip
                assert grabbed.returncode == 0, grabbed.stderr
            finally:
                cage.terminate()
                output = cage.communicate(timeout=30)[0].decode(errors="replace")
        assert said[0] == "STATUS=painted", output
        assert _looks_alike(shot, tmp_path / "offscreen.png"), output[-2000:]
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _looks_alike(shot: Path, offscreen: Path) -> bool:
    """The cage screenshot against the attract screen rendered offscreen at its
    size: the same screen by its colours — three of the colours that cover at
    least 2 % of the offscreen render (the background, the header's blue, the
    start button's green) cover at least 1 % of the screenshot. Not pixel by pixel:
    wlroots' headless output is 1280x720, a size the layouts are not drawn for
    (1080x1920, 1920x1080), and cage and the offscreen platform lay the
    screen out differently there."""
    grabbed = Image.open(shot).convert("RGB")
    window = preview_window(settings_of(None), Language.ZH, grabbed.size)
    window.show_view(View(State.ATTRACT, online=False))  # not enrolled: offline, as there
    QApplication.processEvents()
    window.grab().save(str(offscreen))
    window.may_close = True
    window.close()
    ours = Image.open(offscreen).convert("RGB")
    assert ours.size == grabbed.size
    theirs, mine = _colours(grabbed, 0.01), _colours(ours, 0.02)
    print(f"cage {grabbed.size}: colours {sorted(theirs)}; offscreen: {sorted(mine)}")
    return len(mine & theirs) >= 3


def _colours(image: Image.Image, share: float) -> set[tuple[int, ...]]:
    """The colours (to 1/16 of each channel) that cover ``share`` of the image."""
    small = image.reduce(4).quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    palette = small.getpalette() or []
    least = share * small.width * small.height
    found = set()
    for count, index in small.getcolors() or []:
        at = 3 * int(index)  # type: ignore[arg-type]  # a palette image's colours are indexes
        if count >= least:
            found.add(tuple(c >> 4 for c in palette[at : at + 3]))
    return found
