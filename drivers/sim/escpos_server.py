"""The simulated printer on TCP (JetDirect-style, port 9100 by default).

Each connection's bytes go to one ``EscposDevice``; its status replies go
back on the same connection. A pty works too: ``PtyServer(EscposDevice())``.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time

from drivers.sim.escpos_device import EscposDevice


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        device = self.server.device
        self.request.settimeout(0.2)
        while not self.server.stopping.is_set():
            try:
                data = self.request.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            reply = device.receive(data)
            if reply:
                if device.delay_s:
                    time.sleep(device.delay_s)
                with contextlib.suppress(OSError):
                    self.request.sendall(reply)


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: tuple[str, int], device: EscposDevice) -> None:
        self.device = device
        self.stopping = threading.Event()
        super().__init__(address, _Handler)


class EscposServer:
    def __init__(self, device: EscposDevice, host: str = "127.0.0.1", port: int = 9100) -> None:
        self.device = device
        self._server = _Server((host, port), device)
        self.host: str = str(self._server.server_address[0])
        self.port: int = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> EscposServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)

    def __enter__(self) -> EscposServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
