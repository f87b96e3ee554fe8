"""A private server as a child process: starting it, waiting until it answers, its log, stopping it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

READY_TIMEOUT_S = 60.0
"""A cold initdb plus first start takes 1-3 s on a laptop; a slow CI disk can take several times that.
Past a minute the server is not coming up, and the caller deserves the log rather than a hang."""


STOP_TIMEOUT_S = 30.0
"""pg_ctl's fast shutdown and Redis's AOF fsync finish in well under a second; 30 s covers a loaded box."""


LOG_TAIL_LINES = 40
"""Lines of a server's log quoted when it fails to start: enough for the error and its context."""


SIGTERM_EXIT_STATUS = 128 + signal.SIGTERM
"""Exit status a shell reports for a process ended by SIGTERM."""


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be found, started or stopped."""


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def free_ports(count: int) -> list[int]:
    """Ports the OS says are free now, all different (sockets held open together while choosing)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or f"({path} is empty)"


def wait_until(ready: Callable[[], bool], *, timeout: float, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if ready():
            return
        if time.monotonic() > deadline:
            raise EmbeddedServiceError(
                f"{what} did not become ready within {timeout:.0f} s. Last lines of {log_path}:\n"
                f"{log_tail(log_path)}"
            )
        time.sleep(0.05)


def run_coroutine(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine to completion even when the caller already sits inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    outcome: dict[str, Any] = {}

    def worker() -> None:
        try:
            outcome["value"] = asyncio.run(make())
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=worker, name="leadrouter-embedded-check")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_PG_SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def reachable(url: str, timeout: float = 1.0) -> bool:
    """True when a PostgreSQL or Redis server answers at url (TCP connect plus a protocol handshake)."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.split("+", 1)[0].lower()
        host = parts.hostname or "localhost"
        if scheme in ("postgresql", "postgres"):
            port, probe = parts.port or 5432, _PG_SSL_REQUEST
        elif scheme in ("redis", "rediss"):
            port, probe = parts.port or 6379, b"PING\r\n"
        else:
            return False
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if scheme == "rediss":
                return True  # TLS: a plain-text PING would only confuse the server; TCP is all we check.
            sock.settimeout(timeout)
            sock.sendall(probe)
            reply = sock.recv(64)
    except (OSError, ValueError):
        return False
    if probe is _PG_SSL_REQUEST:
        return reply[:1] in (b"S", b"N")
    # "+PONG", or "-NOAUTH ..." from a server that wants a password: either way it is Redis.
    return reply[:1] in (b"+", b"-")
