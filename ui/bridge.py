"""The one object through which other threads reach the Qt main thread.

Device, network and timer threads never touch a widget: they hand a callable
to ``dispatch``, and the bridge's queued signal runs it on the main thread
(the thread the bridge was made on). Always queued, even from the main
thread, so a touch handler never re-enters the flow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot


class Bridge(QObject):
    called = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.owner = threading.get_ident()
        self.called.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def dispatch(self, work: Callable[[], object]) -> None:
        """Run ``work`` on the main thread, after what is already queued there."""
        self.called.emit(work)

    @Slot(object)
    def _run(self, work: Callable[[], object]) -> None:
        assert threading.get_ident() == self.owner, "the bridge ran off the main thread"
        work()
