"""``make appliance-test``: the kiosk package on a real boot.

    python -m devtools.appliance [--deb dist/kiosk_<version>_amd64.deb] [--work var/appliance]

A Debian 12 system is made with ``debootstrap`` into a folder (kept in
``--work`` and reused), the kiosk package installed into it with apt (what it
depends on from Debian's archive), and the folder written into an ext4 image
that ``qemu-system-x86_64`` boots (software emulation) with systemd as
PID 1 and the serial line as console.
For the test only, the image carries a drop-in that runs cage on wlroots'
headless backend (a VM has no panel) and a probe unit that, over the
serial line:

1. waits for ``kiosk.service`` to be active — ``Type=notify``: READY=1 after
   recovery and the first paint, under cage — and says when, since boot;
2. freezes the kiosk (SIGSTOP) and waits for systemd's watchdog to kill and
   restart it and for the new one to be ready;
3. stages a release that crashes at start, asks for the switch, restarts the
   kiosk, and waits for ``kiosk update start`` to roll it back by itself and
   for the previous release to be ready again;

then powers off. The figures it prints are for the README and the note.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
MIRROR = "http://deb.debian.org/debian"
BASE = ("systemd-sysv,udev,dbus,libpam-systemd,linux-image-amd64,initramfs-tools,kmod,"
        "procps,e2fsprogs,ca-certificates")  # fmt: skip
BOOT_TIMEOUT_S = 1500

DROP_IN = """[Service]
# The appliance test only: the VM's display is a virtio GPU without 3D, so
# wlroots draws with pixman; it has no touch panel or keyboard yet.
Environment=WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1
# The seat through logind, whose session PAMName opens (libseat otherwise
# falls back to a built-in seatd, which a non-root user cannot run).
Environment=LIBSEAT_BACKEND=logind
# Software emulation runs Python and Qt some twenty times slower than a kiosk.
TimeoutStartSec=900
"""

PROBE_UNIT = """[Unit]
Description=Appliance test probe (reports over the serial line)
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/appliance-probe
StandardOutput=tty
TTYPath=/dev/ttyS0

[Install]
WantedBy=multi-user.target
"""

PROBE = r"""#!/bin/sh
# Reports as "PROBE <what> <figures>" lines on the serial console.
say() { echo "PROBE $*" > /dev/ttyS0; }
up() { cut -d' ' -f1 /proc/uptime; }
restarts() { systemctl show -p NRestarts --value kiosk.service; }
wait_active() {  # $1: seconds
    n=0
    while [ "$(systemctl is-active kiosk.service)" != active ]; do
        n=$((n + 1)); [ "$n" -gt "$1" ] && return 1; sleep 1
        [ $((n % 20)) -eq 0 ] && say waiting "$(up)" "$(systemctl is-active kiosk.service)" \
            "$(systemctl show -p StatusText --value kiosk.service)"
        [ $((n % 90)) -eq 0 ] && journal 30 && ps -eo pid,user,etime,time,args \
            | grep -E 'cage|kiosk|Xway' | grep -v grep | sed 's/^/PS /' > /dev/ttyS0 && \
            for p in $(pgrep -x cage); do
                echo "PS cage $p wchan $(cat /proc/$p/wchan) env $(tr '\0' ' ' < /proc/$p/environ)"
                ls -l /proc/$p/fd | sed 's/^/PS fd /'
                cat /proc/$p/stack | sed 's/^/PS stack /'
            done > /dev/ttyS0
    done
    return 0
}
journal() { journalctl -b --no-pager -u kiosk.service -u kiosk-firewall.service \
    | tail -n "$1" | sed 's/^/JOURNAL /' > /dev/ttyS0; }
kiosk_pid() { pgrep -u kiosk -f 'kiosk --config /etc/kiosk/kiosk.toml run' | head -n 1; }

say booted "$(up)"
if wait_active 600; then say ready "$(up)"; else say failed ready; journal 60; fi
say status "$(systemctl show -p StatusText --value kiosk.service)"

before=$(restarts); pid=$(kiosk_pid); frozen=$(up)
kill -STOP "$pid"
n=0
while [ "$(restarts)" = "$before" ] && [ "$n" -lt 300 ]; do n=$((n + 1)); sleep 1; done
if wait_active 300 && [ "$(kiosk_pid)" != "$pid" ]; then
    say watchdog "$frozen" "$(up)"
else
    say failed watchdog
fi

systemctl reset-failed kiosk.service
current=$(basename "$(readlink /opt/kiosk/current)")
cp -a "/opt/kiosk/releases/$current" /opt/kiosk/releases/99.0.0
printf '#!/bin/sh\necho "this release crashes at start" >&2\nexit 1\n' \
    > /opt/kiosk/releases/99.0.0/bin/kiosk
echo '{"version": "99.0.0"}' > /var/lib/kiosk/update/staged.json
echo 99.0.0 > /var/lib/kiosk/switch-asked
asked=$(up)
systemctl restart kiosk.service
n=0
while ! grep -q 99.0.0 /var/lib/kiosk/update/failed.json 2>/dev/null && [ "$n" -lt 300 ]; do
    n=$((n + 1)); sleep 1
done
rolled=$(up)
if wait_active 300 && [ "$(basename "$(readlink /opt/kiosk/current)")" = "$current" ]; then
    say rollback "$asked" "$rolled" "$(up)" "$(restarts)"
else
    say failed rollback "$(cat /var/lib/kiosk/update/failed.json 2>/dev/null)"
fi
journal 40
say done
systemctl poweroff
"""


def _run(
    *command: str | Path, env: dict[str, str] | None = None, stdout: int | None = None
) -> None:
    subprocess.run([str(c) for c in command], check=True, env=env, stdout=stdout)  # noqa: S603


def make_root(root: Path) -> float:
    """Debian 12 in ``root`` (made once); seconds it took (0: reused)."""
    stamp = root.with_suffix(".made")
    if stamp.exists():
        return 0.0
    shutil.rmtree(root, ignore_errors=True)
    started = time.monotonic()
    _run("debootstrap", "--variant=minbase", f"--include={BASE}", "bookworm", root, MIRROR,
         stdout=subprocess.DEVNULL)  # fmt: skip
    stamp.touch()
    return time.monotonic() - started


def install(root: Path, deb: Path) -> float:
    """The kiosk package into ``root`` with apt; seconds (its dependencies too)."""
    (root / "tmp" / deb.name).write_bytes(deb.read_bytes())
    policy = root / "usr" / "sbin" / "policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")  # nothing starts inside the chroot
    policy.chmod(0o755)
    mounts = [("proc", root / "proc"), ("sysfs", root / "sys")]
    for kind, where in mounts:
        _run("mount", "-t", kind, kind, where)
    _run("mount", "--bind", "/dev", root / "dev")
    try:
        started = time.monotonic()
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        _run("chroot", root, "apt-get", "update", "-q", env=env, stdout=subprocess.DEVNULL)
        _run("chroot", root, "apt-get", "install", "-y", "-q", "--no-install-recommends",
             f"/tmp/{deb.name}", env=env, stdout=subprocess.DEVNULL)  # noqa: S108 - the chroot's  # fmt: skip
        took = time.monotonic() - started
    finally:
        for where in (root / "dev", root / "sys", root / "proc"):
            subprocess.run(["umount", "-l", str(where)], check=False)  # noqa: S603, S607
        policy.unlink()
        (root / "tmp" / deb.name).unlink()
    return took


def configure(root: Path) -> None:
    (root / "etc" / "fstab").write_text("/dev/vda / ext4 defaults 0 1\n")
    (root / "etc" / "hostname").write_text("kiosk-appliance\n")
    drop_in = root / "etc" / "systemd" / "system" / "kiosk.service.d"
    drop_in.mkdir(parents=True, exist_ok=True)
    (drop_in / "appliance-test.conf").write_text(DROP_IN)
    probe = root / "usr" / "local" / "sbin" / "appliance-probe"
    probe.parent.mkdir(parents=True, exist_ok=True)
    probe.write_text(PROBE)
    probe.chmod(0o755)
    unit = root / "etc" / "systemd" / "system" / "appliance-probe.service"
    unit.write_text(PROBE_UNIT)
    wants = root / "etc" / "systemd" / "system" / "multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    link = wants / "appliance-probe.service"
    link.unlink(missing_ok=True)
    link.symlink_to("/etc/systemd/system/appliance-probe.service")
    graphical = root / "etc" / "systemd" / "system" / "default.target"
    graphical.unlink(missing_ok=True)
    graphical.symlink_to("/lib/systemd/system/graphical.target")


def image(root: Path, path: Path) -> None:
    path.unlink(missing_ok=True)
    _run("truncate", "-s", "6G", path)
    _run("mkfs.ext4", "-q", "-F", "-L", "kiosk", "-d", root, path)


def boot(root: Path, disk: Path, log: Path) -> tuple[list[str], float]:
    """Boot ``disk``; the probe's lines and the seconds the VM ran."""
    kernel = sorted((root / "boot").glob("vmlinuz-*"))[-1]
    initrd = sorted((root / "boot").glob("initrd.img-*"))[-1]
    # Software emulation: /dev/kvm opens on these machines, but a nested guest
    # fails at once (-cpu host: "failed to set MSR") or never prints (default).
    accel = ["-accel", "tcg,thread=multi", "-cpu", "max"]
    command = [
        "qemu-system-x86_64", *accel, "-m", "3072", "-smp", "2", "-no-reboot",
        "-kernel", str(kernel), "-initrd", str(initrd),
        "-append", "root=/dev/vda rw console=ttyS0 quiet systemd.show_status=0",
        "-drive", f"file={disk},format=raw,if=virtio", "-display", "none", "-vga", "virtio",
        "-serial", f"file:{log}", "-nic", "none",
    ]  # fmt: skip
    started = time.monotonic()
    vm = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    try:
        vm.wait(timeout=BOOT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        vm.kill()
        vm.wait()
    took = time.monotonic() - started
    text = log.read_text(errors="replace") if log.exists() else ""
    return [
        line.strip() for line in text.splitlines() if line.startswith(("PROBE", "JOURNAL"))
    ], took


def report(lines: list[str]) -> int:
    probes = {line.split()[1]: line.split()[2:] for line in lines if line.startswith("PROBE")}
    for line in lines:
        print(line)
    failed = "failed" in probes or "done" not in probes
    if "ready" in probes:
        print(
            f"boot to ready under cage: {float(probes['ready'][0]):.1f} s since the kernel started"
        )
    if "watchdog" in probes:
        frozen, back = (float(x) for x in probes["watchdog"][:2])
        print(f"frozen kiosk restarted by the watchdog and ready again: {back - frozen:.1f} s")
    if "rollback" in probes:
        asked, rolled, ready = (float(x) for x in probes["rollback"][:3])
        print(f"crashing release: rolled back {rolled - asked:.1f} s after the switch was asked, "
              f"the previous one ready {ready - asked:.1f} s after")  # fmt: skip
    print("appliance test:", "FAILED" if failed else "passed")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make appliance-test", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--deb", type=Path, help="the kiosk package (default: dist/'s)")
    parser.add_argument("--work", type=Path, default=HERE / "var" / "appliance")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("make appliance-test: needs root (debootstrap, mount, chroot)", file=sys.stderr)
        return 2
    deb = args.deb or max((HERE / "dist").glob("kiosk_*_amd64.deb"), key=os.path.getmtime)
    args.work.mkdir(parents=True, exist_ok=True)
    root = args.work / "root"
    made = make_root(root)
    print(f"debootstrap: {made:.0f} s" if made else "debootstrap: reused")
    print(f"{deb.name}: {deb.stat().st_size / 2**20:.1f} MiB")
    print(f"apt install of the package and what it depends on: {install(root, deb):.1f} s")
    configure(root)
    disk = args.work / "kiosk.img"
    image(root, disk)
    lines, took = boot(root, disk, args.work / "console.log")
    print(f"the VM ran {took:.0f} s (software emulation)")
    return report(lines)


if __name__ == "__main__":
    sys.exit(main())
