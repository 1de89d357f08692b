"""The Debian packages for the packaging tests, built once a session in the
background: started as soon as pytest has collected a packaging test (the
rest of the suite runs meanwhile), waited for by the first test that needs
them. The build: both packages at the project's version, lintian over them
(``--fail-on error``), and the kiosk package once more at a later version
for the upgrade. ``KIOSK_TEST_DEBS=FOLDER`` reuses what an earlier run built
there (its build.log, lintian.txt and lintian.rc with the packages)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devtools.deb import version

UPGRADE = f"{version()}+test1"
_started: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}  # "build": the one running


@dataclass(frozen=True)
class Built:
    folder: Path
    kiosk: Path
    central: Path
    upgrade: Path  # the kiosk package at UPGRADE
    lintian: str  # what lintian said
    lintian_rc: int


def missing() -> str | None:
    """What the machine lacks to build and check the packages, or None."""
    for tool in ("dpkg-deb", "lintian", "/usr/bin/python3", "strip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (make test installs it)"
    return None


def start() -> None:
    """Start the build (once); its output goes to a log in its folder."""
    if _started or missing():
        return
    ready = os.environ.get("KIOSK_TEST_DEBS")  # a folder an earlier run built: reused
    if ready:
        _started["build"] = (subprocess.Popen(["/bin/true"]), Path(ready))
        return
    folder = Path(tempfile.mkdtemp(prefix="kiosk-debs-"))
    deb = [sys.executable, "-m", "devtools.deb", "--out", str(folder)]
    script = " && ".join([
        " ".join(deb),
        " ".join([*deb, "--only", "kiosk", "--version", UPGRADE, "--out", str(folder / "up")]),
        f"(lintian --fail-on error --tag-display-limit 0 {folder}/*.deb > {folder}/lintian.txt"
        f" 2>&1; echo $? > {folder}/lintian.rc)",
    ])  # fmt: skip
    with (folder / "build.log").open("wb") as log:  # the child keeps its own copy
        process = subprocess.Popen(["/bin/sh", "-c", script], stdout=log, stderr=log)
    _started["build"] = (process, folder)


def wait() -> Built:
    start()
    assert _started, missing()
    process, folder = _started["build"]
    process.wait()
    log = (folder / "build.log").read_text(errors="replace")
    assert process.returncode == 0, f"make deb failed:\n{log[-3000:]}"
    version_now = version()
    return Built(
        folder,
        folder / f"kiosk_{version_now}_amd64.deb",
        folder / f"kiosk-central_{version_now}_amd64.deb",
        folder / "up" / f"kiosk_{UPGRADE}_amd64.deb",
        (folder / "lintian.txt").read_text(errors="replace"),
        int((folder / "lintian.rc").read_text().strip()),
    )
