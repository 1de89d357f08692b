"""The kiosk's side of a software release, over HTTP: the offer, the package
downloaded resumably, and the reports.

``download`` writes ``<folder>/<file>.part`` and, when a connection is cut,
the next call goes on from the bytes already there (``Range: bytes=N-``; a
server that answers the whole file instead is read from its start). Nothing
beyond the signed size is ever written; the whole file's sha256 must be the
signed one, or the part is thrown away. Only a checked package is renamed to
its final name.
"""

from __future__ import annotations

import os
from pathlib import Path

import requests

from config.release import MAX_DOCUMENT, Release
from offline_queue.files import fsync_folder, sha256_of

API = "/api/v1"
BLOCK = 64 * 1024


class DownloadError(RuntimeError):
    """A download that did not give the signed package; the message says why."""


def offer(session: requests.Session, base_url: str, timeout_s: float) -> bytes | None:
    """The release document the server offers this kiosk, or None (204)."""
    answer = session.get(f"{base_url}{API}/release", timeout=timeout_s, stream=True)
    try:
        if answer.status_code == 204:
            return None
        answer.raise_for_status()
        raw = answer.raw.read(MAX_DOCUMENT + 1, decode_content=True)
    finally:
        answer.close()
    if len(raw) > MAX_DOCUMENT:
        raise DownloadError(f"the release document is over {MAX_DOCUMENT} bytes")
    return bytes(raw)


def download(
    session: requests.Session, base_url: str, release: Release, folder: Path, timeout_s: float
) -> Path:
    """The release's package in ``folder``, checked; goes on from a part file."""
    final = folder / release.file
    if final.exists() and sha256_of(final) == release.sha256:
        return final
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"{release.file}.part"
    have = part.stat().st_size if part.exists() else 0
    if have > release.size:
        part.unlink()
        have = 0
    if have < release.size:
        _fetch(session, f"{base_url}{API}/release/{release.version}/package", part, have,
               release.size, timeout_s)  # fmt: skip
    if sha256_of(part) != release.sha256:
        part.unlink()
        raise DownloadError(f"{release.file}: its sha256 is not the signed one; thrown away")
    os.replace(part, final)
    fsync_folder(folder)
    return final


def _fetch(
    session: requests.Session, url: str, part: Path, have: int, size: int, timeout_s: float
) -> None:
    headers = {"Range": f"bytes={have}-"} if have else {}
    with session.get(url, headers=headers, timeout=timeout_s, stream=True) as answer:
        if answer.status_code == 200:
            have = 0  # the server sent it whole: start again
        elif answer.status_code == 206:
            start = answer.headers.get("Content-Range", "").removeprefix("bytes ").split("-")[0]
            if start != str(have):
                raise DownloadError(
                    f"asked from byte {have}, got {answer.headers.get('Content-Range')}"
                )
        else:
            answer.raise_for_status()
            raise DownloadError(f"the server answered {answer.status_code}")
        with part.open("r+b" if have else "wb") as out:
            out.seek(have)
            out.truncate()
            try:
                for block in answer.iter_content(BLOCK):
                    if have + len(block) > size:
                        raise DownloadError(f"the server sent more than the signed {size} bytes")
                    out.write(block)
                    have += len(block)
            except requests.RequestException as exc:
                cut = f"cut at {have} of {size} bytes ({type(exc).__name__}); goes on next time"
                raise DownloadError(cut) from None
            finally:  # what arrived is kept for the next try
                out.flush()
                os.fsync(out.fileno())
    if have != size:
        raise DownloadError(f"the connection ended at {have} of {size} bytes; goes on next time")


def report(
    session: requests.Session, base_url: str, version: str, state: str, detail: str,
    timeout_s: float,
) -> None:  # fmt: skip
    """Tell the server how this kiosk's update to ``version`` goes."""
    body = {"version": version, "state": state, "detail": detail[:500]}
    answer = session.post(f"{base_url}{API}/release/report", json=body, timeout=timeout_s)
    answer.raise_for_status()
