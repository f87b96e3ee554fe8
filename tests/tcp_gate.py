"""A TCP proxy in front of a real server, whose link a test can cut, hold and restore.

It stands where the network does: the app talks to the real PostgreSQL (or Redis) through it, and
the test makes the network fail at the moment it wants: `cut()` resets every connection and refuses
new ones (a server gone or unreachable), `hold_answers()` lets requests through but keeps the
server's answers back (a statement that ran, whose answer never arrives), `restore()` reopens.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

ACCEPT_POLL_SECONDS = 0.05
"""How quickly a cut gate stops accepting: the listener is polled rather than woken."""


class TcpGate:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._holding = threading.Event()
        self._listener: socket.socket | None = None
        self.connections = 0
        """Connections accepted so far (a test can check the app really went through the gate)."""
        self._open: set[int] = set()
        """The client sockets (by file number) of connections neither side has ended yet."""
        self.restore()

    def restore(self) -> None:
        """Accept connections again and pass answers through."""
        self._holding.clear()
        if self._listener is not None:
            return
        deadline = time.monotonic() + 5
        while True:
            try:
                listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR
                break
            except OSError:  # the cut listener's accept thread has not let go of the port yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(ACCEPT_POLL_SECONDS)
        listener.settimeout(ACCEPT_POLL_SECONDS)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    @property
    def open_connections(self) -> int:
        """Connections through the gate that are open now (a cut resets this many)."""
        with self._lock:
            return len(self._open)

    def hold_answers(self) -> None:
        """Forward what clients send; keep back what the server answers until restore or cut."""
        self._holding.set()

    def cut(self) -> None:
        """Reset every connection through the gate and refuse new ones."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
            self._open.clear()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
                self.connections += 1
                self._open.add(client.fileno())
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, answers: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                while answers and self._holding.is_set() and source.fileno() != -1:
                    time.sleep(0.005)
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard((target if answers else source).fileno())
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.cut()
