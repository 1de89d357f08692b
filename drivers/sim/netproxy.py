"""A TCP proxy on loopback that can pass, stall or drop: network faults at the
socket, between a real client and the real server. The tests use it for the
sync worker's faults; the demo's simulator window uses it to cut the kiosk's
network and give it back."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Literal

Mode = Literal["pass", "stall", "drop_before", "drop_after"]


class Proxy:
    """``pass``: forward both ways. ``stall``: accept and read, never answer.
    ``drop_before``: close as soon as the request arrives (nothing reaches the
    server). ``drop_after``: forward the request, let the server answer, and
    close before the client gets the answer (the server did the work)."""

    def __init__(self, upstream_port: int, mode: Mode = "pass") -> None:
        self.upstream = upstream_port
        self.mode: Mode = mode
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
        threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        """Both directions until both ends are done; then both sockets are closed."""
        back = threading.Thread(target=self._pipe, args=(upstream, client), daemon=True)
        back.start()
        self._pipe(client, upstream)
        back.join()
        for sock in (client, upstream):
            with contextlib.suppress(OSError):
                sock.close()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
