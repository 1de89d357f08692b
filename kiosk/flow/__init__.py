"""The pay flow, sans-I/O: events in, commands out (see ``machine``)."""

from kiosk.flow.machine import PayFlow
from kiosk.flow.states import Notice, Outcome, State, Timer

__all__ = ["Notice", "Outcome", "PayFlow", "State", "Timer"]
