"""PC/SC readers through pyscard, with typed errors.

* ``PcscReader.session()`` connects to the card and yields a ``Transmit`` that
  raises ``CardRemoved`` when the card is pulled mid-transaction, ``MuteCard``
  when it does not answer, and ``CardError`` for anything else PC/SC reports;
  ``NoReader`` when there is no reader (or no pcscd).
* ``CardWatcher`` reports cards inserted and removed, from its one owner
  thread, to a listener.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from drivers.cards.apdu import CardError, CardRemoved, MuteCard, NoReader, Transmit

log = logging.getLogger(__name__)
REMOVED = {0x80100069, 0x8010000C, 0x80100068}  # removed, no smartcard, reset
MUTE = {0x80100066, 0x80100016, 0x8010000A}  # unresponsive, not transacted, timeout
SETTLING = {0x80100067, 0x80100068}  # unpowered, reset: a card still settling
SETTLE_TRIES = 10


@dataclass(frozen=True, slots=True)
class CardInserted:
    reader: str
    atr: bytes


@dataclass(frozen=True, slots=True)
class CardPulled:
    reader: str


def reader_names() -> list[str]:
    from smartcard.Exceptions import ListReadersException  # noqa: PLC0415
    from smartcard.System import readers  # noqa: PLC0415 - pyscard loads libpcsclite

    try:
        return [str(r) for r in readers()]
    except ListReadersException as exc:
        raise NoReader(f"cannot list PC/SC readers (is pcscd running?): {exc}") from None


def pcscd_sees_card(reader: str) -> bool:
    """Whether pcscd's own state of the reader (a name prefix) shows a card, as
    ``CardWatcher`` sees it; a connect may already fail while this is still true."""
    from smartcard import scard  # noqa: PLC0415

    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if result != scard.SCARD_S_SUCCESS:
        raise NoReader(f"cannot reach pcscd: {scard.SCardGetErrorMessage(result)}")
    try:
        result, names = scard.SCardListReaders(context, [])
        if result != scard.SCARD_S_SUCCESS:
            names = []
        names = [n for n in names if n.startswith(reader)]
        if not names:
            raise NoReader(f"no PC/SC reader {reader} is connected")
        result, states = scard.SCardGetStatusChange(
            context, 0, [(names[0], scard.SCARD_STATE_UNAWARE)]
        )
        if result != scard.SCARD_S_SUCCESS:
            raise NoReader(f"pcscd: {scard.SCardGetErrorMessage(result)}")
        return bool(states[0][1] & scard.SCARD_STATE_PRESENT)
    finally:
        scard.SCardReleaseContext(context)


class PcscReader:
    def __init__(self, name: str | None = None) -> None:
        self.name = name  # a prefix of the reader's name; None: the first reader

    def _reader(self) -> Any:
        from smartcard.System import readers  # noqa: PLC0415

        try:
            found = [r for r in readers() if self.name is None or str(r).startswith(self.name)]
        except Exception as exc:
            raise NoReader(f"cannot list PC/SC readers (is pcscd running?): {exc}") from None
        if not found:
            raise NoReader(f"no PC/SC reader {self.name or ''}".rstrip() + " is connected")
        return found[0]

    @contextmanager
    def session(self) -> Iterator[Transmit]:
        from smartcard.Exceptions import CardConnectionException, NoCardException  # noqa: PLC0415

        connection = self._reader().createConnection()
        for attempt in range(SETTLE_TRIES):
            try:
                connection.connect()
                break
            except NoCardException:
                raise CardRemoved("no card in the reader") from None
            except CardConnectionException as exc:
                code = (getattr(exc, "hresult", 0) or 0) & 0xFFFFFFFF
                if code not in SETTLING or attempt == SETTLE_TRIES - 1:
                    raise _typed(exc, "connecting to the card") from None
                time.sleep(0.1)  # a card just inserted is still being powered

        def transmit(apdu: list[int]) -> tuple[list[int], int, int]:
            doing = f"sending {bytes(apdu[:4]).hex()}"
            try:
                data, sw1, sw2 = connection.transmit(apdu)
            except CardConnectionException as exc:
                typed = _typed(exc, doing)
                if type(typed) is CardError:  # no answer: pulled out, or mute?
                    typed = _pulled_or_mute(connection, doing)
                raise typed from None
            return list(data), int(sw1), int(sw2)

        try:
            yield transmit
        finally:
            _close(connection)

    def atr(self) -> bytes | None:
        """The ATR of a usable card in the reader; None while there is none (or the
        card is still being powered)."""
        from smartcard.Exceptions import CardConnectionException, NoCardException  # noqa: PLC0415

        connection = self._reader().createConnection()
        try:
            connection.connect()
            return bytes(connection.getATR())
        except (NoCardException, CardConnectionException):
            return None
        finally:
            _close(connection)


def _close(connection: Any) -> None:
    """Disconnect and release the PC/SC context; the card may be gone already."""
    for step in ("disconnect", "release"):
        try:
            getattr(connection, step, lambda: None)()
        except Exception as exc:
            log.debug("%s: %s", step, exc)


def _pulled_or_mute(connection: Any, doing: str) -> CardError:
    """A command that got no answer: if the card can be reached again it is mute."""
    from smartcard.Exceptions import CardConnectionException, NoCardException  # noqa: PLC0415

    try:
        connection.reconnect()
    except (NoCardException, CardConnectionException):
        return CardRemoved(f"the card was removed while {doing}")
    return MuteCard(f"the card does not answer ({doing})")


def _typed(exc: Exception, doing: str) -> CardError:
    code = getattr(exc, "hresult", None)
    code = code & 0xFFFFFFFF if isinstance(code, int) else None
    if code in REMOVED:
        return CardRemoved(f"the card was removed while {doing}")
    if code in MUTE:
        return MuteCard(f"the card does not answer ({doing})")
    return CardError(f"PC/SC error while {doing}: {exc}")


class CardWatcher:
    """Cards inserted and pulled out, reported to ``listener`` from one owner thread.

    It asks PC/SC for the readers' states (SCardGetStatusChange, which touches
    no card) and keeps its own context, made again whenever pcscd went away.
    A card swapped between two polls still counts as pulled and inserted: the
    reader's card-event counter (pcsc-lite keeps it in the upper 16 bits of the
    event state) or a different ATR gives it away.
    """

    def __init__(
        self,
        listener: Callable[[CardInserted | CardPulled], None],
        reader: str | None = None,
        interval_s: float = 0.3,
    ) -> None:
        self._listener = listener
        self._reader = reader
        self._interval = interval_s
        self._stop = threading.Event()
        self._present: dict[str, tuple[bytes, int]] = {}
        self._raw: dict[str, tuple[str, str]] = {}
        self._thread = threading.Thread(target=self._run, name="card watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        from smartcard import scard  # noqa: PLC0415

        context = None
        while not self._stop.is_set():
            if context is None:
                result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
                if result != scard.SCARD_S_SUCCESS:
                    context = None
                    self._stop.wait(1.0)
                    continue
            try:
                now = self._poll(scard, context)
            except _ContextLost:
                scard.SCardReleaseContext(context)
                context = None
                continue
            self._report(now)
            self._stop.wait(self._interval)
        if context is not None:
            scard.SCardReleaseContext(context)

    def _poll(self, scard: Any, context: Any) -> dict[str, tuple[bytes, int]]:
        result, names = scard.SCardListReaders(context, [])
        if result != scard.SCARD_S_SUCCESS:
            if result & 0xFFFFFFFF == 0x8010002E:  # no readers
                return {}
            raise _ContextLost
        names = [n for n in names if self._reader is None or n.startswith(self._reader)]
        if not names:
            return {}
        query = [(name, scard.SCARD_STATE_UNAWARE) for name in names]
        result, states = scard.SCardGetStatusChange(context, 0, query)
        if result != scard.SCARD_S_SUCCESS:
            raise _ContextLost
        raw = {name: (hex(state), bytes(atr).hex()) for name, state, atr in states}
        if raw != self._raw:
            log.debug("reader states: %s", raw)
            self._raw = raw
        return {
            name: (bytes(atr), (state >> 16) & 0xFFFF)
            for name, state, atr in states
            if state & scard.SCARD_STATE_PRESENT and not state & scard.SCARD_STATE_MUTE
        }

    def _report(self, now: dict[str, tuple[bytes, int]]) -> None:
        for name in self._present.keys() - now.keys():
            self._emit(CardPulled(name))
        for name, (atr, events) in now.items():
            before = self._present.get(name)
            if before is not None and before != (atr, events):
                self._emit(CardPulled(name))  # swapped since the last poll
            if before != (atr, events):
                self._emit(CardInserted(name, atr))
        self._present = now

    def _emit(self, event: CardInserted | CardPulled) -> None:
        log.debug("%s", event)
        try:
            self._listener(event)
        except Exception:
            log.exception("card listener failed on %r", event)


class _ContextLost(Exception):
    """pcscd went away or restarted: make a new context."""
