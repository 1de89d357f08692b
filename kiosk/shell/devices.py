"""Build the bill acceptor that the settings name, wired to the flow.

``port = "sim"`` starts the matching simulator on a pseudo-terminal first, and
the real driver opens that — the demo and the tests run the same code a site
runs. A ccTalk driver resumes after the last counter the journal credited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config.settings import AcceptorSection
from drivers.acceptor import BillAcceptor, CreditSink, Listener
from drivers.cctalk.driver import CcTalkDriver
from drivers.cctalk.frames import Checksum
from drivers.cctalk.host import CcTalkHost
from drivers.id003.driver import Id003Driver
from drivers.id003.host import Id003Host
from kiosk.ledger import last_cctalk_counter
from offline_queue.journal import Journal

if TYPE_CHECKING:  # a simulator is imported only where a setting says "sim"
    from drivers.sim.pty import PtyServer

CCTALK_PREFIX = "cctalk:"


@dataclass
class Acceptor:
    driver: BillAcceptor
    simulator: PtyServer | None  # when the settings say port = "sim"

    def stop(self) -> None:
        self.driver.stop()
        if self.simulator is not None:
            self.simulator.stop()


def build_acceptor(
    settings: AcceptorSection, listener: Listener, credit: CreditSink, journal: Journal
) -> Acceptor | None:
    """The driver the settings name, started; events to ``listener``, credits to ``credit``."""
    if settings.protocol == "none":
        return None
    simulator: PtyServer | None = None
    port = settings.port
    run = uuid.uuid4().hex[:8]  # credit ids stay unique across restarts
    poll, reply = settings.poll_interval_ms / 1000, settings.reply_timeout_ms / 1000
    driver: BillAcceptor
    if settings.protocol == "id003":
        if port == "sim":
            from drivers.sim.id003_device import Id003Device  # noqa: PLC0415
            from drivers.sim.pty import PtyServer  # noqa: PLC0415

            simulator = PtyServer(Id003Device()).start()
            port = simulator.path
        host = Id003Host(credit_prefix=f"id003-{run}", watchdog_s=settings.watchdog_s)
        driver = Id003Driver(
            port, listener, credit, host=host, poll_interval_s=poll, reply_timeout_s=reply
        )
    else:
        checksum = Checksum(settings.cctalk_checksum)
        if port == "sim":
            from drivers.sim.cctalk_device import CcTalkDevice  # noqa: PLC0415
            from drivers.sim.pty import PtyServer  # noqa: PLC0415

            device = CcTalkDevice(checksum=checksum, echo=settings.cctalk_echo)
            simulator = PtyServer(device).start()
            port = simulator.path
        cctalk = CcTalkHost(
            address=settings.cctalk_address,
            checksum=checksum,
            resume_counter=last_cctalk_counter(journal, CCTALK_PREFIX),
            credit_prefix=run,
        )
        driver = CcTalkDriver(
            port,
            listener,
            credit,
            host=cctalk,
            echo=settings.cctalk_echo,
            poll_interval_s=poll,
            reply_timeout_s=reply,
        )
    driver.start()
    return Acceptor(driver, simulator)
