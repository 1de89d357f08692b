"""Heartbeat and telemetry to the central server, and the kiosk's online/offline
state for the flow.

Every ``interval_s`` the kiosk posts ``/api/v1/heartbeat`` with its device
states, queue depth, dead letters, versions, paper and cashbox. The answer is
also the connectivity probe: ``misses`` failures in a row make the kiosk
offline (the flow then offers only what works without the server), the first
success makes it online again. Each change reaches the flow as
``ConnectivityChanged`` with what offline payments may still take today.

The answer names the newest config bundle for the kiosk (``X-Bundle-Version``);
``on_bundle`` hears it, so a kiosk whose long-poll was lost (a NAT that
forgot the connection) still fetches a new bundle within a heartbeat.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

import requests

from kiosk.flow import events as e
from kiosk.money import Money
from offline_queue import http

log = logging.getLogger(__name__)


class HeartbeatService:
    def __init__(
        self,
        base_url: str,
        token: str,
        post: Callable[[e.Event], object],
        telemetry: Callable[[], Mapping[str, object]],
        allowance: Callable[[], Money],
        *,
        interval_s: float = 30.0,
        timeout_s: float = 5.0,
        misses: int = 2,
        verify: bool | str = True,
    ) -> None:
        self._url = base_url.rstrip("/") + "/api/v1/heartbeat"
        self._session = http.session(verify, token)
        self._post = post
        self._telemetry = telemetry
        self._allowance = allowance
        self._interval = interval_s
        self._timeout = timeout_s
        self._misses_allowed = misses
        self._misses = 0
        self.online: bool | None = None  # unknown until the first beat
        self.on_bundle: Callable[[int], object] | None = None  # the bundle version heard
        self.on_accepted: Callable[[], object] | None = None  # each beat the server took
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> bool:
        """One heartbeat; the connectivity it implies is passed on to the flow."""
        try:
            response = self._session.post(
                self._url, json=dict(self._telemetry()), timeout=self._timeout
            )
            ok = response.status_code == 204
            if not ok:
                log.warning("heartbeat refused: HTTP %d", response.status_code)
            if ok and self.on_accepted is not None:
                self.on_accepted()
            heard = response.headers.get("X-Bundle-Version", "")
            if ok and heard.isdigit() and self.on_bundle is not None:
                self.on_bundle(int(heard))
        except requests.RequestException as exc:
            log.info("heartbeat failed: %s", type(exc).__name__)
            ok = False
        self._misses = 0 if ok else self._misses + 1
        if not ok and self._misses < self._misses_allowed:
            return ok  # one miss is not yet offline
        online = ok
        if online != self.online:
            self.online = online
            log.warning("central server %s", "reachable" if online else "unreachable: offline")
            self._post(e.ConnectivityChanged(online, self._allowance()))
        return ok

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout + 5)
        self._session.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat()
            self._stop.wait(self._interval)
