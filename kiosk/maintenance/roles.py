"""Who may do what in the maintenance menu.

Three roles, each with its own PIN (or technician card): the technician keeps
the machine running, the cash collector empties the cashbox, the
administrator sets the kiosk up. Cash stays with the collector alone: neither
of the others can start a collection or change what it counts.
"""

from __future__ import annotations

import enum


class Role(enum.Enum):
    TECHNICIAN = "technician"
    COLLECTOR = "collector"
    ADMINISTRATOR = "administrator"


class Function(enum.Enum):
    DIAGNOSTICS = "diagnostics"  # device state, sync state, versions, disk and memory
    SELF_TESTS = "self_tests"  # test print, acceptor insert/return, card read
    SYNC = "sync"  # retry the dead letters
    OUT_OF_SERVICE = "out_of_service"
    RESTART = "restart"
    REPRINT = "reprint"  # the last receipt
    EXPORT = "export"  # logs and journal to a removable drive
    CASH = "cash"  # cashbox content and collection
    SETTINGS = "settings"  # location name, device connections
    ENROLLMENT = "enrollment"
    PINS = "pins"


PERMISSIONS: dict[Role, frozenset[Function]] = {
    Role.TECHNICIAN: frozenset(
        {
            Function.DIAGNOSTICS,
            Function.SELF_TESTS,
            Function.SYNC,
            Function.OUT_OF_SERVICE,
            Function.RESTART,
            Function.REPRINT,
            Function.EXPORT,
        }
    ),
    Role.COLLECTOR: frozenset({Function.CASH}),
    Role.ADMINISTRATOR: frozenset(
        {Function.DIAGNOSTICS, Function.SETTINGS, Function.ENROLLMENT, Function.PINS}
    ),
}


class NotAllowed(PermissionError):
    """A role asked for a function that is not its own."""


def allowed(role: Role, function: Function) -> bool:
    return function in PERMISSIONS[role]


def require(role: Role | None, function: Function) -> Role:
    if role is None or not allowed(role, function):
        who = role.value if role else "nobody"
        raise NotAllowed(f"{who} may not use {function.value}")
    return role
