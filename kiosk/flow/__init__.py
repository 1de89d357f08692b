"""The pay flow, sans-I/O: events in, commands out (see ``machine``).

``PayFlow`` is imported on first use (PEP 562): a screen that needs only the
states and the view does not load the whole machine before its first paint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.flow.states import GivenBack, Notice, Outcome, State, Timer

if TYPE_CHECKING:
    from kiosk.flow.machine import PayFlow

__all__ = ["GivenBack", "Notice", "Outcome", "PayFlow", "State", "Timer"]


def __getattr__(name: str) -> Any:
    if name == "PayFlow":
        from kiosk.flow.machine import PayFlow  # noqa: PLC0415 - on first use

        return PayFlow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
