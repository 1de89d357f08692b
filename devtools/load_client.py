"""The load generator's parts: a kiosk's keep-alive HTTP/1.1 connection written
by hand (cheap enough for 10,000 in one process), the timings it keeps, and
the CPU figures read from /proc."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

KINDS = ("lookup", "order", "status", "upload", "heartbeat", "phone", "payment")


class Connection:
    """One keep-alive connection to 127.0.0.1:``port``; a connection the server
    closed while idle is opened again, as urllib3 does."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = None

    async def request(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        reused = self.writer is not None
        if self.reader is not None and self.reader.at_eof():  # the server closed it, idle
            self.close()
            reused = False
        try:
            return await self._request(method, path, body, headers)
        except (ConnectionError, asyncio.IncompleteReadError):
            if not reused:
                raise
            self.close()  # closed as it was reused: once more on a new one
            return await self._request(method, path, body, headers)

    async def _request(
        self, method: str, path: str, body: object, headers: dict[str, str] | None
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        data = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1",
                f"Authorization: Bearer {self.token}", f"Content-Length: {len(data)}",
                "Content-Type: application/json"]  # fmt: skip
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed by the server")
        status = int(status_line.split()[1])
        answer_headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            key, _, value = line.decode().partition(":")
            answer_headers[key.strip().lower()] = value.strip()
        length = int(answer_headers.get("content-length", "0"))
        return status, answer_headers, await self.reader.readexactly(length)


class Stats:
    """Each call's (start, seconds) by kind, the errors, the bundle's reach."""

    def __init__(self) -> None:
        self.times: dict[str, list[tuple[float, float]]] = {k: [] for k in KINDS}
        self.errors: list[str] = []
        self.got_v2: list[float] = []  # when each kiosk had bundle 2 (time.time())
        self.connected = 0
        self.half = 0.0  # when the second half (the new bundle) began (time.time())
        self.cpu: dict[str, float] = {}  # first half: seconds of CPU by whom
        self.measured_s = 0.0

    @classmethod
    def merged(cls, parts: list[Stats]) -> Stats:
        """The figures of several load processes as one."""
        whole = cls()
        for part in parts:
            for kind, found in part.times.items():
                whole.times[kind] += found
            whole.errors += part.errors
            whole.got_v2 += part.got_v2
            whole.connected += part.connected
        return whole

    def add(self, kind: str, started: float, seconds: float) -> None:
        self.times[kind].append((started, seconds))

    def durations(self, kind: str, steady: bool = False) -> list[float]:
        """All of the run's, or only the first half's (before the new bundle)."""
        found = self.times[kind]
        return [s for t, s in found if not steady or t < self.half]


async def timed(stats: Stats, kind: str, conn: Connection, method: str, path: str,
                body: object = None, ok: int = 200) -> bytes | None:  # fmt: skip
    """The answer's body, or None (counted as an error)."""
    started, clock = time.time(), time.perf_counter()
    try:
        status, _, answer = await conn.request(method, path, body)
    except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
        stats.errors.append(f"{kind}: {type(exc).__name__}")
        conn.close()
        return None
    stats.add(kind, started, time.perf_counter() - clock)
    if status != ok:
        stats.errors.append(f"{kind}: HTTP {status}")
        return None
    return answer


def percentile(values: list[float], p: float) -> float:
    """In milliseconds; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def _processes() -> list[tuple[str, int, int, float]]:
    """(name, pid, parent pid, CPU seconds) of every process."""
    tick = os.sysconf("SC_CLK_TCK")
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        found.append((name, int(stat.parent.name), int(fields[1]),
                      (int(fields[11]) + int(fields[12])) / tick))  # fmt: skip
    return found


def cpu_now(server: int, generators: list[int]) -> dict[str, float]:
    """CPU seconds so far: the server (``server`` and its children), PostgreSQL's
    processes, the load generators, and the whole machine (busy, /proc/stat)."""
    listed = _processes()
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]
    return {
        "server": sum(c for _, pid, parent, c in listed if server in (pid, parent)),
        "postgres": sum(c for name, _, _, c in listed if name == "postgres"),
        "generator": sum(c for _, pid, _, c in listed if pid in generators),
        "machine": (sum(fields) - idle) / tick,
    }
