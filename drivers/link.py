"""Whether a polled device is there: silence in a row means disconnected."""

from __future__ import annotations

from drivers import acceptor as ev


class LinkHealth:
    """``offline_after`` unanswered requests in a row report ``Disconnected`` once;
    the next answer reports ``Reconnected``."""

    def __init__(self, offline_after: int = 3) -> None:
        self._after = offline_after
        self.misses = 0
        self.offline = False

    def missed(self) -> ev.Disconnected | None:
        self.misses += 1
        if self.misses >= self._after and not self.offline:
            self.offline = True
            return ev.Disconnected(f"no answer to {self.misses} requests")
        return None

    def heard(self) -> list[ev.AcceptorEvent]:
        self.misses = 0
        if self.offline:
            self.offline = False
            return [ev.Reconnected()]
        return []
