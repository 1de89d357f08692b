"""``make deb``: the two Debian packages, built with dpkg-deb over a virtualenv.

    python -m devtools.deb [--out dist] [--only kiosk|kiosk-central] [--version V]

``kiosk_<version>_amd64.deb`` (the terminal) and
``kiosk-central_<version>_amd64.deb`` (the server). Each carries its own
Python environment, a virtualenv of Debian's ``/usr/bin/python3`` under
``/opt/<name>/releases/<version>/`` (made here in a staging folder with
pip, then its scripts pointed at where it will live), the console scripts
linked into ``/usr/bin`` through ``/opt/<name>/current`` (switched by one
rename in postinst), and the files of ``packaging/deb/<name>/`` (units,
sysusers, tmpfiles, udev, journald, nftables, settings) and the maintainer
scripts of ``packaging/deb/maintainer/``. The version is the project's
(pyproject.toml), the one place it is written. The kiosk's environment has
every dependency; the server's leaves out the kiosk's devices and Qt.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
PACKAGING = HERE / "packaging" / "deb"
PYTHON = "/usr/bin/python3"  # Debian's: the environment runs on the target's own
KIOSK_ONLY = {"pyserial", "python-escpos", "pillow", "qrcode", "pyusb", "pyscard",
              "pyside6-essentials"}  # fmt: skip
MAINTAINER = "Payment kiosk team <kiosk@example.invalid>"


@dataclass(frozen=True)
class Package:
    name: str
    summary: str
    description: str
    depends: tuple[str, ...]
    recommends: tuple[str, ...]
    scripts: tuple[str, ...]  # console scripts linked into /usr/bin
    enable: tuple[str, ...]  # units enabled at install
    start: tuple[str, ...]  # started at install (when systemd runs)
    kept: tuple[str, ...]  # data folders a purge leaves
    everything: bool  # every dependency of the project, or the server's only


PYTHON_DEPENDS = ("python3 (>= 3.11)", "python3 (<< 3.12)", "libc6")
PACKAGES = {
    "kiosk": Package(
        "kiosk",
        "self-service payment kiosk (the terminal)",
        "The pay screen in a cage Wayland session on tty1, the bill acceptor,\n"
        "card reader and receipt printer drivers, the durable journal and its\n"
        "sync to the central server, under systemd with a watchdog.",
        (
            *PYTHON_DEPENDS,
            "cage",
            "xwayland",
            "pcscd",
            "libpcsclite1",
            "libusb-1.0-0",
            "fonts-wqy-microhei",
            "libegl1",
            "libfontconfig1",
            "libxkbcommon0",
            "libwayland-client0",
            "libwayland-cursor0",
            "libwayland-egl1",
            "libdbus-1-3",
            "systemd",
            "udev",
            "nftables",
            "netbase",  # /etc/protocols: the firewall ruleset names ipv6-icmp
            "systemd-timesyncd | time-daemon",
        ),
        ("sqlite3",),
        ("kiosk",),
        ("kiosk.service", "kiosk-backup.timer", "kiosk-firewall.service", "kiosk-update.timer"),
        ("kiosk-firewall.service", "kiosk-backup.timer", "kiosk-update.timer"),
        ("/var/lib/kiosk", "/var/backups/kiosk"),
        everything=True,
    ),
    "kiosk-central": Package(
        "kiosk-central",
        "central server for a fleet of payment kiosks",
        "Bills, orders at WeChat Pay and Alipay, the kiosks' uploads and the\n"
        "books, signed config bundles, behind nginx on PostgreSQL.",
        (*PYTHON_DEPENDS, "systemd"),
        ("nginx", "postgresql (>= 15)", "pgbackrest"),
        ("kiosk-central",),
        ("kiosk-central@8081.service", "kiosk-central@8082.service", "kiosk-central-backup.timer"),
        ("kiosk-central-backup.timer",),
        ("/var/lib/kiosk-central", "/var/backups/kiosk-central"),
        everything=False,
    ),
}


def version() -> str:
    with (HERE / "pyproject.toml").open("rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def _dependencies(everything: bool) -> list[str]:
    with (HERE / "pyproject.toml").open("rb") as fh:
        listed = [str(d) for d in tomllib.load(fh)["project"]["dependencies"]]
    if everything:
        return listed
    return [d for d in listed if _name(d) not in KIOSK_ONLY]


def _name(requirement: str) -> str:
    for stop in "<>=[!~ ;":
        requirement = requirement.split(stop, 1)[0]
    return requirement.strip().lower()


def _run(*command: str | Path, quiet: bool = False) -> None:
    out = subprocess.DEVNULL if quiet else None
    subprocess.run([str(c) for c in command], check=True, stdout=out)  # noqa: S603 - our own


def wheel(into: Path) -> Path:
    """The project's own wheel (no dependencies), built once for both packages
    (setuptools' build/ folder, made in the tree, taken away again)."""
    made = not (HERE / "build").exists()
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--wheel-dir", into, HERE, quiet=True)  # fmt: skip
    if made:
        shutil.rmtree(HERE / "build", ignore_errors=True)
    [found] = into.glob("*.whl")
    return found


def environment(package: Package, where: Path, final: str, project: Path) -> None:
    """A virtualenv of Debian's python3 at ``where``, to live at ``final``."""
    _run(PYTHON, "-m", "venv", "--without-pip", where)
    pip = [sys.executable, "-m", "pip", "--python", str(where / "bin" / "python"), "install",
           "--quiet", "--no-compile", "--no-warn-script-location",
           "--disable-pip-version-check"]  # fmt: skip
    if package.everything:
        # Built here by Debian's python3 (its headers: python3-dev), not a wheel
        # the cache holds from another interpreter (its RUNPATH would come along).
        _run(*pip, "--no-cache-dir", "--no-binary", "pyscard", "pyscard")
        _run(*pip, project)
    else:
        _run(*pip, *_dependencies(everything=False))
        _run(*pip, "--no-deps", project)
    _relocate(where, final)


def _relocate(where: Path, final: str) -> None:
    """Point the environment's scripts and its pyvenv.cfg at ``final``."""
    staged = str(where)
    for path in [*(where / "bin").iterdir(), where / "pyvenv.cfg"]:
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if staged.encode() in data:
            path.write_bytes(data.replace(staged.encode(), final.encode()))
    for cache in where.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    _strip(where)
    for activate in where.glob("bin/[Aa]ctivate*"):
        activate.unlink()  # an appliance's environment is not activated by hand


def _strip(where: Path) -> None:
    """Shared objects as Debian ships them: debug symbols stripped, not executable."""
    objects = [p for p in where.rglob("*.so*") if p.is_file() and not p.is_symlink()]
    for chunk in range(0, len(objects), 200):
        some = [str(p) for p in objects[chunk : chunk + 200]]
        subprocess.run(["/usr/bin/strip", "--strip-unneeded", *some],  # noqa: S603 - our files
                       check=False, stderr=subprocess.DEVNULL)  # fmt: skip
    for path in objects:
        path.chmod(0o644)


def _fill(text: str, package: Package, release: str) -> str:
    values = {
        "@NAME@": package.name, "@VERSION@": release,
        "@SYSUSERS@": f"/usr/lib/sysusers.d/{package.name}.conf",
        "@TMPFILES@": f"/usr/lib/tmpfiles.d/{package.name}.conf",
        "@ENABLE@": " ".join(package.enable), "@START@": " ".join(package.start),
        "@RESTART@": " ".join(package.enable), "@STOP@": " ".join(package.enable),
        "@KEPT@": " ".join(package.kept),
    }  # fmt: skip
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _control(package: Package, release: str, root: Path) -> str:
    size_kb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    lines = [
        f"Package: {package.name}",
        f"Version: {release}",
        "Architecture: amd64",
        f"Maintainer: {MAINTAINER}",
        f"Installed-Size: {size_kb // 1024}",
        f"Depends: {', '.join(package.depends)}",
        f"Recommends: {', '.join(package.recommends)}",
        "Section: misc",
        "Priority: optional",
        "Homepage: https://example.invalid/payment-kiosk",
        f"Description: {package.summary}",
        *(f" {line}" for line in package.description.splitlines()),
    ]
    return "\n".join(lines) + "\n"


def _docs(package: Package, release: str, root: Path) -> None:
    docs = root / "usr" / "share" / "doc" / package.name
    docs.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "README.md", docs / "README.md")
    (docs / "copyright").write_text(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        f"Upstream-Name: payment-kiosk\nSource: https://example.invalid/payment-kiosk\n\n"
        "Files: *\nCopyright: 2026 the payment kiosk team\nLicense: proprietary\n"
        " All rights reserved. The Python packages under\n"
        f" /opt/{package.name}/releases/ carry their own licences in their\n"
        " *.dist-info folders.\n",
        encoding="utf-8",
    )
    entry = (f"{package.name} ({release}) stable; urgency=medium\n\n"
             "  * Built from the project's tree (make deb).\n\n"
             f" -- {MAINTAINER}  Thu, 03 Dec 2026 12:00:00 +0000\n")  # fmt: skip
    with gzip.GzipFile(docs / "changelog.gz", "wb", mtime=0, compresslevel=9) as fh:
        fh.write(entry.encode())


def _md5sums(root: Path) -> str:
    lines = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and "DEBIAN" not in path.parts:
            digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
            lines.append(f"{digest}  {path.relative_to(root)}")
    return "\n".join(lines) + "\n"


def build(package: Package, release: str, out: Path, project: Path, work: Path) -> Path:
    root = work / package.name
    shutil.copytree(PACKAGING / package.name, root, symlinks=True)
    final = f"/opt/{package.name}/releases/{release}"
    environment(package, root / final.lstrip("/"), final, project)
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for script in package.scripts:
        (bin_dir / script).symlink_to(f"/opt/{package.name}/current/bin/{script}")
    if package.name == "kiosk-central":
        sites = root / "etc" / "nginx" / "sites-available"
        sites.mkdir(parents=True)
        shutil.copy(HERE / "packaging" / "central" / "nginx-kiosk-central.conf",
                    sites / "kiosk-central")  # fmt: skip
    _docs(package, release, root)
    overrides = root / "usr" / "share" / "lintian" / "overrides"
    overrides.mkdir(parents=True, exist_ok=True)
    shutil.copy(PACKAGING / "lintian-overrides", overrides / package.name)
    _fill_overrides(overrides / package.name, package, release)
    debian = root / "DEBIAN"
    debian.mkdir()
    for script in ("postinst", "prerm", "postrm"):
        text = (PACKAGING / "maintainer" / script).read_text(encoding="utf-8")
        (debian / script).write_text(_fill(text, package, release), encoding="utf-8")
        (debian / script).chmod(0o755)
    conffiles = sorted(f"/{p.relative_to(root)}" for p in (root / "etc").rglob("*") if p.is_file())
    (debian / "conffiles").write_text("\n".join(conffiles) + "\n", encoding="utf-8")
    (debian / "md5sums").write_text(_md5sums(root), encoding="utf-8")
    (debian / "control").write_text(_control(package, release, root), encoding="utf-8")
    for path in root.rglob("*"):  # as a package's files are: no group or other writes
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o022)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{package.name}_{release}_amd64.deb"
    _run("dpkg-deb", "--root-owner-group", "-Zxz", "-z1", "--build", root, target, quiet=True)
    return target


def _fill_overrides(path: Path, package: Package, release: str) -> None:
    path.write_text(_fill(path.read_text(encoding="utf-8"), package, release), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make deb", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "dist")
    parser.add_argument("--only", choices=sorted(PACKAGES), action="append")
    parser.add_argument("--version", help="build as this version (tests: an upgrade)")
    args = parser.parse_args(argv)
    release = args.version or version()
    with tempfile.TemporaryDirectory(prefix="deb-") as folder:
        work = Path(folder)
        project = wheel(work / "wheel")
        for name in args.only or sorted(PACKAGES):
            built = build(PACKAGES[name], release, args.out.resolve(), project, work)
            print(f"{built} ({os.path.getsize(built) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
