"""``kiosk-central serve`` as its own process, on uvloop and httptools (uvicorn
will not start on either when it is missing): idle kiosk connections kept
``--keep-alive`` seconds, and no line per request unless ``--access-log``."""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from central.serve import free_port

CLI = str(Path(sys.executable).with_name("kiosk-central"))


def serve(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    command = [CLI, "serve", "--db", f"sqlite:///{tmp_path / 'c.db'}", "--port", str(port),
               "--loop", "uvloop", "--http", "httptools", *extra]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return process, port
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(process.communicate()[0])


def health(conn: socket.socket) -> bytes:
    """One health call on ``conn``, read to the end of its body."""
    conn.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while not answer.endswith(b'{"status":"ok"}'):
        chunk = conn.recv(4096)
        assert chunk, f"closed mid-answer: {answer!r}"
        answer += chunk
    return answer


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    return process.communicate(timeout=20)[0]


def test_an_idle_connection_is_kept_for_keep_alive_seconds_then_closed(tmp_path: Path) -> None:
    process, port = serve(tmp_path, "--keep-alive", "2")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            assert health(conn).startswith(b"HTTP/1.1 200")
            time.sleep(1)  # idle, within --keep-alive: the same connection answers again
            assert health(conn).startswith(b"HTTP/1.1 200")
            started = time.monotonic()
            assert conn.recv(4096) == b""  # then closed by the server, idle
            assert 1.5 < time.monotonic() - started < 5
    finally:
        stop(process)


def test_requests_are_logged_only_with_access_log(tmp_path: Path) -> None:
    logs = {}
    for name, extra in (("quiet", ()), ("logged", ("--access-log",))):
        folder = tmp_path / name
        folder.mkdir()
        process, port = serve(folder, *extra)
        requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
        logs[name] = stop(process)
    assert "GET /api/v1/health" not in logs["quiet"]
    assert "GET /api/v1/health" in logs["logged"]


def test_serve_raises_its_open_file_limit_and_listens_with_its_backlog(tmp_path: Path) -> None:
    """A fleet holds a connection or two a kiosk: the process takes its hard
    limit of open files (a unit's LimitNOFILE), and its listen queue is
    ``--backlog`` (the kernel caps it at net.core.somaxconn)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 1024), hard))  # the child starts low
    try:
        process, port = serve(tmp_path, "--backlog", "1000")
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        limits = Path(f"/proc/{process.pid}/limits").read_text()
        [line] = [x for x in limits.splitlines() if x.startswith("Max open files")]
        assert line.split()[3] == str(hard)  # the soft limit, raised to the hard one
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                                   text=True, check=True).stdout.split()  # fmt: skip
        somaxconn = int(Path("/proc/sys/net/core/somaxconn").read_text())
        assert listening[2] == str(min(1000, somaxconn))  # Send-Q of a listener: its backlog
    finally:
        output = stop(process)
    assert f"up to {hard} open files" in output


def test_sigterm_stops_the_server_within_seconds_with_long_polls_held(tmp_path: Path) -> None:
    process, port = serve(tmp_path)
    try:
        database = f"sqlite:///{tmp_path / 'c.db'}"
        code = subprocess.run([CLI, "enroll", "K-1", "--db", database], check=True,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
        token = requests.post(f"http://127.0.0.1:{port}/api/v1/enroll", json={"code": code},
                              timeout=5).json()["token"]  # fmt: skip
        held = socket.create_connection(("127.0.0.1", port))
        held.sendall(f"GET /api/v1/config/bundle?wait=300 HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {token}\r\n"
                     'If-None-Match: "0"\r\n\r\n'.encode())  # fmt: skip
        time.sleep(1)  # held: no bundle is published
        started = time.monotonic()
        process.terminate()
        process.communicate(timeout=30)
        stopped = time.monotonic() - started
        held.close()
    finally:
        if process.poll() is None:
            process.kill()
    # uvicorn ends by the signal it was sent, its own handlers undone: to systemd,
    # a clean stop (SIGTERM is the unit's KillSignal).
    assert process.returncode in (0, -15)
    print(f"stopped {stopped:.1f} s after SIGTERM with a 300-s long-poll held")
    assert stopped < 15, stopped  # a 300-s hold: only the grace period ended it
