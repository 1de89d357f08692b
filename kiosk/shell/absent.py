"""Executors for the parts a kiosk may lack: a kiosk not enrolled with a central
server, a kiosk without a card reader. Each answers its commands with the clear
failure event the flow waits for, so the flow never hangs on a missing part."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.shell.cards import CardService
from kiosk.shell.central import CENTRAL_COMMANDS

log = logging.getLogger(__name__)
Post = Callable[[e.Event], object]


class NoCentral:
    """Not enrolled: no lookups, no QR orders; nothing to refund either (no order
    or card payment can exist without a server)."""

    COMMANDS = CENTRAL_COMMANDS
    REASON = "no central server"

    def __init__(self, post: Post) -> None:
        self._post = post

    def execute(self, command: c.Command) -> None:
        if isinstance(command, c.LookUpBill | c.LookUpBillByPhone):
            self._post(e.LookupFailed(self.REASON))
        elif isinstance(command, c.CreateQrOrder):
            self._post(e.QrOrderFailed(self.REASON))
        elif isinstance(command, c.RefundQrOrder | c.ReverseCardPayment):
            log.error("%s with no central server: kept in the journal", command)
        elif not isinstance(command, self.COMMANDS):
            raise TypeError(f"not a central server command: {type(command).__name__}")


class NoCardReader:
    COMMANDS = CardService.COMMANDS
    REASON = "no card reader"

    def __init__(self, post: Post) -> None:
        self._post = post

    def execute(self, command: c.Command) -> None:
        if isinstance(command, c.StartCardPayment):
            self._post(e.CardFailed(self.REASON))
        elif isinstance(command, c.LoadAccountCard):
            self._post(e.AccountCardLoadFailed(str(command.transaction), self.REASON))
        elif not isinstance(command, self.COMMANDS):
            raise TypeError(f"not a card reader command: {type(command).__name__}")
