"""Provider keys are files the settings name, never values in the settings,
the database or a log: a private key or a shared secret must be readable by
its owner alone (0600 or stricter), or the server refuses to start with it."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class KeyFileError(ValueError):
    """A key file that is missing or that others may read."""


def secret(path: str) -> bytes:
    """A private key or shared secret: its bytes, if only its owner may read it."""
    found = Path(path)
    try:
        mode = found.stat().st_mode
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path}: others may read it (mode {stat.S_IMODE(mode):04o}; chmod 600)")
    return found.read_bytes()


def public(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror}") from None


def write_secret(path: Path, data: bytes) -> None:
    """Write a secret 0600 from the start (never readable by others, even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, 0o600)
