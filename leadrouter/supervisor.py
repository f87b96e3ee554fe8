"""`leadrouter run`'s children (web, worker) kept running: one that dies is started again.

A child that exits on its own (a crash, an out-of-memory kill, a fault it could not ride out) is
logged with its exit status and restarted after a back-off that grows while it keeps dying and
resets once it has stayed up a while. Production runs each process under its own supervisor
(systemd, Kubernetes); this one is for the single-command set-up.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from leadrouter.constants import (
    CHILD_RESTART_SECONDS,
    CHILD_STABLE_SECONDS,
    CHILD_STOP_SECONDS,
    CHILD_WATCH_SECONDS,
)

log = logging.getLogger("leadrouter.supervisor")


@dataclass
class Child:
    """One supervised process: its command, the process now running it, and its restart history."""

    name: str
    command: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    """Restarts since it last stayed up CHILD_STABLE_SECONDS (sets the next back-off)."""
    restart_at: float | None = None
    """When a dead child is due to start again."""
    history: list[int] = field(default_factory=list)
    """Exit statuses of its past processes, oldest first."""


class Supervisor:
    def __init__(
        self,
        commands: Mapping[str, Sequence[str]],
        *,
        env: Mapping[str, str] | None = None,
        restart_seconds: Sequence[float] = CHILD_RESTART_SECONDS,
        stable_seconds: float = CHILD_STABLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = {name: Child(name, list(command)) for name, command in commands.items()}
        self._env = dict(env) if env is not None else None
        self._restart_seconds = tuple(restart_seconds)
        self._stable_seconds = stable_seconds
        self._clock = clock
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        for child in self.children.values():
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(child.command, env=self._env)
        child.started_at = self._clock()
        child.restart_at = None

    def any_exited(self) -> bool:
        """Whether a child has exited and not been started again (used while starting up)."""
        return any(c.process is None or c.process.poll() is not None for c in self.children.values())

    def check(self) -> None:
        """Notice children that died and start those whose back-off is over."""
        with self._lock:
            now = self._clock()
            for child in self.children.values():
                if self._stopping.is_set() or child.process is None:
                    continue
                status = child.process.poll()
                if status is None:
                    continue
                if child.restart_at is None:
                    if now - child.started_at >= self._stable_seconds:
                        child.restarts = 0
                    delay = self._restart_seconds[min(child.restarts, len(self._restart_seconds) - 1)]
                    child.history.append(status)
                    child.restarts += 1
                    child.restart_at = now + delay
                    log.warning(
                        "%s exited with status %s after %.0f s; starting it again in %.0f s",
                        child.name,
                        status,
                        now - child.started_at,
                        delay,
                    )
                elif now >= child.restart_at:
                    self._spawn(child)
                    log.warning("%s started again (pid %s)", child.name, child.process.pid)

    def watch_in_background(self, interval: float = CHILD_WATCH_SECONDS) -> None:
        """Check the children every `interval` seconds in a thread, until `stop`."""

        def watch() -> None:
            while not self._stopping.wait(interval):
                self.check()

        self._watcher = threading.Thread(target=watch, name="supervisor", daemon=True)
        self._watcher.start()

    def stop(self, timeout: float = CHILD_STOP_SECONDS) -> None:
        """SIGTERM every child, then SIGKILL what is still running after `timeout` seconds."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=timeout)
        with self._lock:
            running = [c.process for c in self.children.values() if c.process and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
