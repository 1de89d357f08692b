"""The bundle poller: fetches signed config bundles from the central server,
checks them, keeps the last good one on disk, and hands accepted ones over.

A bundle is refused — and the one in use kept — when its signature is not the
operator's pinned key, its version is not above the one in use (no rollback,
no replay), it has expired, it is for another kiosk or group, it is larger
than ``config.bundle.MAX_BYTES``, or its config does not validate against the
kiosk's settings schema. An accepted bundle is written to disk atomically
(temporary file, fsync, rename, fsync of the folder) before it is handed on;
the shell swaps it into the flow between customer sessions.

The poller long-polls ``GET /api/v1/config/bundle?wait=…`` with
``If-None-Match`` so a published bundle arrives within a second or two.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from config.bundle import MAX_BYTES, Bundle, BundleError, parse
from config.loader import ConfigError, merge, validate
from config.settings import Settings
from offline_queue import http
from offline_queue.files import write_atomically

log = logging.getLogger(__name__)


class BundleStore:
    """The last good bundle, byte for byte as signed, in ``folder/bundle.json``."""

    def __init__(self, folder: Path, public_key_hex: str) -> None:
        self.path = folder / "bundle.json"
        self._key = public_key_hex

    def load(self) -> Bundle | None:
        """The stored bundle, its signature checked again; None if there is none
        or it does not verify (then the kiosk runs on its local settings)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.error("stored bundle %s unreadable: %s", self.path, exc)
            return None
        try:
            return parse(raw, self._key)
        except BundleError as exc:
            log.error("stored bundle %s not used: %s", self.path, exc)
            return None

    def save(self, raw: bytes) -> None:
        write_atomically(self.path, raw)


class AlreadyInUse(BundleError):
    """The bundle offered is the one in use (a heartbeat and the long-poll both
    brought it): nothing to do, and nothing wrong."""


class BundlePoller:
    def __init__(
        self,
        base_url: str,
        token: str,
        store: BundleStore,
        *,
        public_key_hex: str,
        kiosk_id: str,
        group: str,
        local_tree: Mapping[str, Any],
        on_accept: Callable[[Settings, Bundle], object],
        wait_s: int = 30,
        timeout_s: float = 10.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        verify: bool | str = True,
    ) -> None:
        self._url = base_url.rstrip("/") + "/api/v1/config/bundle"
        self._session = http.session(verify, token)
        self._store = store
        self._key = public_key_hex
        self._kiosk, self._group = kiosk_id, group
        self._tree = dict(local_tree)
        self._on_accept = on_accept
        self._wait = wait_s
        self._timeout = timeout_s
        self._clock = clock
        current = store.load()
        self.version = current.version if current else 0
        self.last_refusal: str | None = None
        self._refused_heard = 0  # a version a heartbeat named whose bundle was refused
        self._accepting = threading.Lock()  # the long-poll's thread and a heartbeat's
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self, raw: bytes) -> tuple[Bundle, Settings]:
        """Every check a bundle must pass; BundleError or ConfigError says which failed."""
        bundle = parse(raw, self._key)
        if bundle.version == self.version:
            raise AlreadyInUse(f"version {bundle.version} is in use")
        if bundle.version <= self.version:
            raise BundleError(f"version {bundle.version} is not above {self.version} in use")
        if bundle.expires <= self._clock():
            raise BundleError(f"expired at {bundle.expires.isoformat()}")
        if not bundle.applies_to(self._kiosk, self._group):
            raise BundleError(f"for another kiosk or group: {bundle.target}")
        settings = validate(merge(self._tree, bundle.config), f"bundle {bundle.version}")
        return bundle, settings

    def poll_once(self, wait_s: int = 0) -> str:
        """One request: "new", "unchanged", "none", "refused: …", "unreachable: …"
        or "stopped" (what came after stop() is dropped)."""
        headers = {"If-None-Match": f'"{self.version}"'}  # "0": wait for a first one
        try:
            with self._session.get(
                self._url, params={"wait": wait_s}, headers=headers,
                timeout=(self._timeout, self._timeout + wait_s), stream=True,
            ) as response:  # fmt: skip
                if response.status_code == 304:
                    return "unchanged"
                if response.status_code == 404:
                    return "none"
                response.raise_for_status()
                raw = response.raw.read(MAX_BYTES + 1, decode_content=True)
        except requests.RequestException as exc:
            return f"unreachable: {type(exc).__name__}"
        return "stopped" if self._stop.is_set() else self._take(raw)

    def _take(self, raw: bytes) -> str:
        """A bundle fetched: checked, stored and applied, or refused."""
        with self._accepting:
            try:
                bundle, settings = self.check(raw)
            except AlreadyInUse:
                return "unchanged"
            except (BundleError, ConfigError) as exc:
                self.last_refusal = str(exc)
                log.error("config bundle refused, keeping version %d: %s", self.version, exc)
                return f"refused: {exc}"
            self._store.save(raw)
            self.version = bundle.version
            log.info("config bundle %d accepted", bundle.version)
            self._on_accept(settings, bundle)
        return "new"

    def heard_of(self, version: int) -> str | None:
        """A heartbeat named ``version`` as the newest bundle for this kiosk: if
        it is newer than the one in use, fetch it now (the long-poll may have
        been lost on the way). A version refused once is not fetched again at
        every heartbeat; None: nothing to do."""
        if version <= self.version or version == self._refused_heard or self._stop.is_set():
            return None
        outcome = self.poll_once(0)
        if outcome.startswith("refused"):
            self._refused_heard = version
        return outcome

    # -- the thread ---------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bundle poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            # A long-poll may hold for minutes: the (daemon) thread is not waited
            # for beyond a request's timeout; what it brings after this is dropped.
            self._thread.join(timeout=self._timeout + 1)
        self._session.close()

    def _run(self) -> None:
        pause = 1.0
        while not self._stop.is_set():
            try:
                outcome = self.poll_once(self._wait)
            except OSError as exc:  # the bundle could not be stored (disk full…): try later
                log.error("config bundle not stored: %s", exc)
                outcome = "unreachable: not stored"
            if outcome.startswith("unreachable") or outcome.startswith("refused"):
                self._stop.wait(pause)  # a refused bundle stays published: do not spin
                pause = min(pause * 2, 60.0)
            else:
                pause = 1.0
                if outcome == "none":
                    self._stop.wait(self._wait or 5)
