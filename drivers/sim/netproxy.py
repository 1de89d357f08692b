"""A TCP proxy on loopback that can pass, stall or drop: network faults at the
socket, between a real client and the real server. The tests use it for the
sync worker's faults; the demo's simulator window uses it to cut the kiosk's
network and give it back."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Literal

Mode = Literal["pass", "stall", "drop_before", "drop_after", "slow", "cut_after"]
BURST_S = 0.2  # chunks of one answer arrive within this of each other


class Proxy:
    """``pass``: forward both ways. ``stall``: accept and read, never answer.
    ``drop_before``: close as soon as the request arrives (nothing reaches the
    server). ``drop_after``: forward the request, let the server answer, and
    close before the client gets the answer (the server did the work).
    ``slow``: forward the request at once, hold each answer ``delay_s`` (the
    server has done the work; the client hears of it late). ``cut_after``:
    forward, and break the connection once ``limit`` bytes of the answer
    have reached the client (a download cut half way)."""

    def __init__(self, upstream_port: int, mode: Mode = "pass") -> None:
        self.upstream = upstream_port
        self.mode: Mode = mode
        self.delay_s = 0.0
        self.limit = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._open: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """The network is gone: open connections break, new ones close at once."""
        self.mode = "drop_before"
        for sock in list(self._open):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        self._open.clear()

    def slow(self, delay_s: float) -> None:
        """Answers arrive ``delay_s`` late from now on (open connections are broken,
        so that the next request comes through a slow one)."""
        self.delay_s = delay_s
        self.cut()
        self.mode = "slow"

    def restore(self) -> None:
        self.mode = "pass"

    @property
    def is_cut(self) -> bool:
        return self.mode == "drop_before"

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        for sock in self._open:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._open = [sock for sock in self._open if sock.fileno() != -1]
            self._open.append(client)
            threading.Thread(target=self._serve, args=(client, self.mode), daemon=True).start()

    def _serve(self, client: socket.socket, mode: Mode) -> None:
        if mode in ("stall", "drop_before"):
            with contextlib.suppress(OSError):
                client.recv(65536)
            if mode == "drop_before":
                client.close()
            return  # stall: the socket stays open and silent
        upstream = socket.create_connection(("127.0.0.1", self.upstream))
        self._open.append(upstream)
        if mode == "drop_after":
            with contextlib.suppress(OSError):
                upstream.sendall(client.recv(1 << 20))
                client.settimeout(0.2)
                with contextlib.suppress(TimeoutError):  # the rest of a large body
                    while chunk := client.recv(1 << 20):
                        upstream.sendall(chunk)
                upstream.recv(65536)  # the server has answered: it did the work
            client.close()
            upstream.close()
            return
        delay = self.delay_s if mode == "slow" else 0.0
        limit = self.limit if mode == "cut_after" else None
        threading.Thread(target=self._relay, args=(client, upstream, delay, limit),
                         daemon=True).start()  # fmt: skip

    def _relay(
        self, client: socket.socket, upstream: socket.socket, delay_s: float, limit: int | None
    ) -> None:
        """Both directions until both ends are done; then both sockets are closed."""
        back = threading.Thread(target=self._pipe, args=(upstream, client, delay_s, limit),
                                daemon=True)  # fmt: skip
        back.start()
        self._pipe(client, upstream)
        back.join()
        for sock in (client, upstream):
            with contextlib.suppress(OSError):
                sock.close()

    @staticmethod
    def _pipe(
        source: socket.socket, sink: socket.socket, delay_s: float = 0.0, limit: int | None = None
    ) -> None:
        last, sent = 0.0, 0
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if delay_s and time.monotonic() - last > BURST_S:
                    time.sleep(delay_s)  # the first chunk of an answer is held
                if limit is not None and sent + len(data) >= limit:
                    sink.sendall(data[: limit - sent])
                    for sock in (sink, source):  # the line breaks here
                        sock.shutdown(socket.SHUT_RDWR)
                    return
                sink.sendall(data)
                sent += len(data)
                last = time.monotonic()
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
