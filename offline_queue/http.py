"""HTTP sessions to the central server whose certificate check is the kiosk's own.

``requests`` lets ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` in the environment
override a session's ``verify`` (psf/requests#3829): a certificate pinned in the
settings would be ignored on a machine that sets them. A session made here
uses its ``verify`` (a pinned PEM file, or True: the system's CAs) unless a
request says otherwise; verification is never turned off.
"""

from __future__ import annotations

from typing import Any

import requests


class _PinnedSession(requests.Session):
    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:  # requests' own TypedDict, private to its stubs
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        settings["verify"] = self.verify if verify is None else verify
        return settings


def session(verify: bool | str = True, token: str | None = None) -> requests.Session:
    """A session that checks the server's certificate with ``verify``; with ``token``,
    it sends the kiosk's bearer credential."""
    made = _PinnedSession()
    made.verify = verify
    if token is not None:
        made.headers["Authorization"] = f"Bearer {token}"
    return made
