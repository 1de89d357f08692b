"""The central server as it scales out, on loopback: N ``kiosk-central serve``
processes on one database, behind Debian's nginx running the shipped site
file (``packaging/central/nginx-kiosk-central.conf``) with its listen address,
upstream ports and certificate paths put to this run's."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from central.serve import free_port

SITE = Path(__file__).resolve().parents[1] / "packaging" / "central" / "nginx-kiosk-central.conf"
NGINX = "/usr/sbin/nginx"


def nginx_missing() -> str | None:
    """Why nginx cannot run here, or None."""
    return None if Path(NGINX).exists() or shutil.which("nginx") else "nginx is not installed"


def site_for(ports: list[int], listen: int, certificate: Path, key: Path) -> str:
    """The shipped site file, listening on 127.0.0.1:``listen``, in front of
    the processes on ``ports``, with this certificate."""
    text = SITE.read_text(encoding="utf-8")
    shipped = {
        "    listen 443 ssl;\n": f"    listen 127.0.0.1:{listen} ssl;\n",
        "    listen [::]:443 ssl;\n": "",
        "/etc/kiosk-central/tls/server.crt": str(certificate),
        "/etc/kiosk-central/tls/server.key": str(key),
    }
    for old, new in shipped.items():
        if old not in text:
            raise ValueError(f"the site file no longer has {old.strip()!r}")
        text = text.replace(old, new)
    upstream = [line for line in text.splitlines() if line.strip().startswith("server 127.0.0.1:")]
    if not upstream:
        raise ValueError("the site file names no upstream server")
    options = upstream[0].strip().split(" ", 2)[2]  # max_fails=… fail_timeout=…;
    ours = "\n".join(f"    server 127.0.0.1:{port} {options}" for port in ports)
    text = text.replace("\n".join(upstream), ours)
    return text


def nginx_conf(folder: Path, site: str) -> Path:
    """A whole nginx.conf around ``site``: one worker, everything in ``folder``."""
    (folder / "site.conf").write_text(site, encoding="utf-8")
    conf = folder / "nginx.conf"
    temp = "\n".join(
        f"    {name}_temp_path {folder / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf.write_text(
        f"""user root;
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    access_log {folder / "access.log"};
{temp}
    include {folder / "site.conf"};
}}
""",
        encoding="utf-8",
    )
    return conf


def wait_for_port(port: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@contextlib.contextmanager
def nginx(folder: Path, ports: list[int], certificate: Path, key: Path) -> Iterator[str]:
    """nginx in front of ``ports``; yields its https URL."""
    folder.mkdir(parents=True, exist_ok=True)
    listen = free_port()
    conf = nginx_conf(folder, site_for(ports, listen, certificate, key))
    check = subprocess.run(  # noqa: S603 - our own binary and file
        [NGINX, "-t", "-p", str(folder), "-c", str(conf)],
        check=False,
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t: {check.stderr}")
    process = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(conf)])  # noqa: S603
    try:
        wait_for_port(listen)
        yield f"https://127.0.0.1:{listen}"
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Process:
    """One ``kiosk-central serve`` process."""

    port: int
    popen: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """As a crash would: SIGKILL, no goodbye."""
        self.popen.kill()
        self.popen.wait()


@contextlib.contextmanager
def processes(database: str, count: int, log: Path, *more: str) -> Iterator[list[Process]]:
    """``count`` server processes on ``database``, started together (their
    migrations take turns); yields them once each answers its health check."""
    cli = str(Path(sys.executable).with_name("kiosk-central"))
    started: list[Process] = []
    with log.open("ab") as out:
        try:
            for _ in range(count):
                port = free_port()
                command = [cli, "serve", "--db", database, "--port", str(port), *more]
                popen = subprocess.Popen(command, stdout=out, stderr=out)  # noqa: S603
                started.append(Process(port, popen))
            for process in started:
                _healthy(process)
            yield started
        finally:
            for process in started:
                if process.popen.poll() is None:
                    process.popen.terminate()
            for process in started:
                try:
                    process.popen.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()


def _healthy(process: Process, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(
                f"kiosk-central serve on {process.port} ended: {process.popen.returncode}"
            )
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{process.url}/api/v1/health", timeout=1).ok:
                return
        time.sleep(0.1)
    raise RuntimeError(f"kiosk-central serve on {process.port} did not come up")
