"""What the maintenance menu's pages work with: the running app's maintenance
service (a restart makes a new one), a way onto the Qt main thread, and the
language. Below the screens' base, so that it can name it without a circle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kiosk.maintenance.service import Maintenance
from kiosk.money import Language


@dataclass
class Tools:
    maintenance: Callable[[], Maintenance]  # the running app's (a restart makes a new one)
    main: Callable[[Callable[[], None]], None]  # run on the Qt main thread
    lang: Callable[[], Language]

    @property
    def service(self) -> Maintenance:
        return self.maintenance()
