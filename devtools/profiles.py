"""Sampling a running server with py-spy, and reading what it wrote.

py-spy writes its output only when it stops by itself (``--duration``) or on
SIGINT; a SIGTERM loses the samples, so ``stop`` sends SIGINT.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path


def record(
    pid: int, output: Path, rate: int, seconds: float | None = None
) -> subprocess.Popen[bytes]:
    """Start py-spy on ``pid`` and its worker processes, collapsed stacks into
    ``output``; ``--nonblocking`` so the server is not paused to be sampled."""
    spy = [str(Path(sys.executable).with_name("py-spy")), "record", "--format", "raw",
           "--subprocesses", "--nonblocking", "--rate", str(rate), "--pid", str(pid),
           "--output", str(output)]  # fmt: skip
    if seconds is not None:
        spy += ["--duration", str(int(seconds))]
    return subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - py-spy, ours


def stop(profiler: subprocess.Popen[bytes]) -> None:
    """Ask py-spy to write its samples and end (or wait for --duration)."""
    if profiler.poll() is None:
        profiler.send_signal(signal.SIGINT)
    profiler.wait(timeout=60)


def top(path: Path, count: int = 25) -> list[str]:
    """py-spy's raw (collapsed) stacks as report lines: the functions with the
    most samples on top of the stack (self) and anywhere in it (total)."""
    if not path.exists():
        return [f"profile: py-spy wrote nothing to {path}"]
    own: dict[str, int] = {}
    anywhere: dict[str, int] = {}
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames or not n.isdigit():
            continue
        hits = int(n)
        samples += hits
        own[frames[-1]] = own.get(frames[-1], 0) + hits
        for frame in set(frames):
            anywhere[frame] = anywhere.get(frame, 0) + hits
    lines = [f"profile: {samples} samples in {path}"]
    for title, table in (("self", own), ("total", anywhere)):
        lines.append(f"  top {count} by {title}:")
        for frame, hits in sorted(table.items(), key=lambda x: -x[1])[:count]:
            lines.append(f"    {hits * 100 / max(samples, 1):5.1f}%  {frame}")
    return lines
