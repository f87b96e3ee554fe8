"""The embedded PostgreSQL and Redis that `leadrouter run` starts when no server URLs are set."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
import redis

from leadrouter.embedded import EmbeddedServices, resolve_endpoints
from leadrouter.embedded_postgres import find_postgres_bin_dir
from leadrouter.embedded_redis import find_redis_server
from leadrouter.server_process import STOP_TIMEOUT_S, EmbeddedServiceError, reachable
from tests.fixtures.live import free_port

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[1]


def _require_servers() -> None:
    try:
        find_postgres_bin_dir()
        find_redis_server()
    except EmbeddedServiceError as exc:
        pytest.skip(str(exc))


def _asyncpg_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def pid_alive(pid: int) -> bool:
    """True while the process runs; a zombie waiting for init to reap it counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _assert_gone(pid: int, url: str) -> None:
    deadline = time.monotonic() + 5
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(pid), f"server pid {pid} still running"
    assert not reachable(url, timeout=0.5), f"{url} still answers"


@contextlib.contextmanager
def _removing_outside_cluster(services: EmbeddedServices, data_dir: Path) -> Iterator[None]:
    """As root the cluster may live in /var/tmp (pytest's tmp folders are closed to `postgres`)."""
    try:
        yield
    finally:
        location = data_dir / "postgres-cluster-location.txt"
        if location.exists():
            outside = Path(location.read_text().strip())
            assert outside.parent.name.startswith("leadrouter-")
            shutil.rmtree(outside.parent, ignore_errors=True)


async def _write_lead_note(database_url: str, note: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        await connection.execute("CREATE TABLE IF NOT EXISTS embedded_probe (note text)")
        await connection.execute("INSERT INTO embedded_probe VALUES ($1)", note)
    finally:
        await connection.close()


async def _read_lead_notes(database_url: str) -> list[str]:
    connection = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        return [row["note"] for row in await connection.fetch("SELECT note FROM embedded_probe")]
    finally:
        await connection.close()


def test_data_survives_a_restart_and_stop_leaves_nothing_running(tmp_path: Path) -> None:
    _require_servers()
    data_dir = tmp_path / "var"
    services = EmbeddedServices(data_dir, want_postgres=True, want_redis=True)
    with _removing_outside_cluster(services, data_dir):
        with services as endpoints:
            assert endpoints.database_url.startswith("postgresql+asyncpg://postgres@127.0.0.1:")
            assert endpoints.database_url.endswith("/leadrouter")
            assert reachable(endpoints.database_url)
            assert reachable(endpoints.redis_url)
            asyncio.run(_write_lead_note(endpoints.database_url, "call back after 5pm"))
            cache = redis.Redis.from_url(endpoints.redis_url)
            cache.set("lead:1:stage", "contacted")
            assert cache.get("lead:1:stage") == b"contacted"
            cache.close()
            assert services.postgres is not None and services.redis is not None
            postgres_pid, redis_pid = services.postgres.pid, services.redis.pid
            cluster = services.postgres.pgdata
            redis_pid_file = services.redis.pid_path
            assert postgres_pid and (cluster / "postmaster.pid").exists()
            assert redis_pid and redis_pid_file.exists()
            first = endpoints

        _assert_gone(postgres_pid, first.database_url)
        _assert_gone(redis_pid, first.redis_url)
        assert not (cluster / "postmaster.pid").exists()
        assert not redis_pid_file.exists()

        with EmbeddedServices(data_dir, want_postgres=True, want_redis=True) as again:
            assert asyncio.run(_read_lead_notes(again.database_url)) == ["call back after 5pm"]
            cache = redis.Redis.from_url(again.redis_url)
            assert cache.get("lead:1:stage") == b"contacted"  # from the append-only file
            cache.close()
        assert not (cluster / "postmaster.pid").exists()
        assert not reachable(again.database_url, timeout=0.5)


def test_only_the_wanted_server_starts_on_the_given_port(tmp_path: Path) -> None:
    _require_servers()
    port = free_port()
    services = EmbeddedServices(tmp_path, want_postgres=False, want_redis=True, redis_port=port)
    with services as endpoints:
        assert endpoints == type(endpoints)(database_url="", redis_url=f"redis://127.0.0.1:{port}/0")
        assert services.postgres is None
        assert redis.Redis.from_url(endpoints.redis_url).ping()
    assert not reachable(endpoints.redis_url, timeout=0.5)


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    _require_servers()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        services = EmbeddedServices(tmp_path, want_postgres=False, want_redis=True, redis_port=port)
        with pytest.raises(EmbeddedServiceError, match=r"redis\.log"):
            services.start()
    assert services.redis is None


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_to_the_owning_process_stops_the_servers(tmp_path: Path, stop_signal: int) -> None:
    _require_servers()
    data_dir = tmp_path / "var"
    owner_code = (
        "import json, signal, sys, time\n"
        "from pathlib import Path\n"
        # As in a terminal: a test run started in the background inherits SIGINT ignored, and Python
        # then installs no Ctrl-C handler of its own.
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from leadrouter.embedded import EmbeddedServices\n"
        "services = EmbeddedServices(Path(sys.argv[1]), want_postgres=True, want_redis=True)\n"
        "with services as endpoints:\n"
        "    print(json.dumps({'pids': [services.postgres.pid, services.redis.pid],\n"
        "                      'urls': [endpoints.database_url, endpoints.redis_url]}), flush=True)\n"
        "    time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    owner = subprocess.Popen(
        [sys.executable, "-c", owner_code, str(data_dir)], stdout=subprocess.PIPE, text=True, env=env
    )
    services = EmbeddedServices(data_dir, want_postgres=False, want_redis=False)  # only for the cleanup
    with _removing_outside_cluster(services, data_dir):
        try:
            assert owner.stdout is not None
            started = json.loads(owner.stdout.readline())
            owner.send_signal(stop_signal)
            # Each server may take up to STOP_TIMEOUT_S to stop.
            assert owner.wait(timeout=2 * STOP_TIMEOUT_S + 5) != 0
        finally:
            if owner.poll() is None:
                owner.kill()
        for pid, url in zip(started["pids"], started["urls"], strict=True):
            _assert_gone(pid, url)


def test_reachable_tells_servers_from_other_listeners() -> None:
    assert not reachable(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    assert not reachable(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/leadrouter", timeout=0.5)
    assert not reachable("mysql://127.0.0.1:3306/x")
    assert not reachable("not a url")

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def answer_like_a_web_server() -> None:
            for _ in range(2):
                connection, _ = listener.accept()
                with connection:
                    connection.recv(64)
                    connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

        web = threading.Thread(target=answer_like_a_web_server, daemon=True)
        web.start()
        assert not reachable(f"redis://127.0.0.1:{port}/0", timeout=1)
        assert not reachable(f"postgresql://127.0.0.1:{port}/db", timeout=1)
        web.join(timeout=5)


def test_resolve_endpoints_uses_urls_from_the_environment_and_embeds_the_rest(tmp_path: Path) -> None:
    _require_servers()
    given_database = "postgresql+asyncpg://app:secret@db.example:5432/leadrouter"
    given_redis = "redis://cache.example:6379/2"
    with contextlib.ExitStack() as stack:
        both = resolve_endpoints({"DATABASE_URL": given_database, "REDIS_URL": given_redis}, tmp_path, stack)
        assert (both.database_url, both.redis_url) == (given_database, given_redis)
        assert not (tmp_path / "redis").exists()  # nothing was started

    with contextlib.ExitStack() as stack:
        mixed = resolve_endpoints({"DATABASE_URL": given_database}, tmp_path, stack)
        assert mixed.database_url == given_database
        assert mixed.redis_url.startswith("redis://127.0.0.1:")
        assert reachable(mixed.redis_url)
    assert not reachable(mixed.redis_url, timeout=0.5)


def test_resolve_endpoints_prefers_the_local_default_servers_for_tests(tmp_path: Path) -> None:
    from leadrouter.embedded import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL

    if not (reachable(DEFAULT_DATABASE_URL) and reachable(DEFAULT_REDIS_URL)):
        pytest.skip("no PostgreSQL and Redis on the default local ports")
    with contextlib.ExitStack() as stack:
        chosen = resolve_endpoints({}, tmp_path, stack, prefer_local_defaults=True)
    assert (chosen.database_url, chosen.redis_url) == (DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL)
