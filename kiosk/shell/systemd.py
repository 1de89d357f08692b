"""systemd's notify protocol (sd_notify), without libsystemd: one datagram to
``$NOTIFY_SOCKET`` per message. ``READY=1`` tells a ``Type=notify`` unit that
the kiosk is up; ``WATCHDOG=1`` pings its watchdog; ``STATUS=`` is shown by
``systemctl status``. Without ``NOTIFY_SOCKET`` (not started by systemd) a
message goes nowhere and ``notify`` says so by returning False."""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def notify(message: str) -> bool:
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(message.encode(), address)
    except OSError as exc:
        log.warning("systemd notify %r not sent: %s", message, exc)
        return False
    return True


def watchdog_interval_s() -> float | None:
    """Half the unit's ``WatchdogSec=`` (how often to ping), or None without one.

    The watchdog is the kiosk's when systemd started the kiosk itself or the
    session's compositor that runs it (kiosk.service: ``cage -- kiosk run``,
    ``WATCHDOG_PID`` then names cage, the kiosk's parent; the unit's
    ``NotifyAccess=all`` takes the pings from the child). Any other process
    that inherited the variables is not watched."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or (pid and pid not in (str(os.getpid()), str(os.getppid()))):
        return None
    return int(usec) / 2e6
