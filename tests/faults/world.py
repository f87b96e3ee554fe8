"""A private world for fault injection: its own PostgreSQL and Redis (so they can be restarted and
killed), the web app and the worker as real processes, a practice with a form, and a local SMTP
server and Twilio whose answers can be held (a send in flight).

Used by the fault-injection tests (tests/faults/) and, with longer runs, by bench/faults.py. The
worker writes <its folder>/worker.log; FAULTS_LOG_LEVEL=INFO there lists every job it ran.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from leadrouter.embedded_postgres import EmbeddedPostgres
from leadrouter.embedded_redis import EmbeddedRedis
from leadrouter.runtime import Runtime, build_runtime
from leadrouter.server_process import free_ports
from leadrouter.web_process import start_web_process
from router.core.db import upgrade
from router.core.settings import DatabaseSettings, RedisSettings, SecuritySettings, Settings
from router.ops.marks import WORKER_HEARTBEAT, read_marks
from tests.factories import PracticeFixture, make_practice, open_staff_session
from tests.faults.providers import ACCOUNT_SID, AUTH_TOKEN, HeldMailbox, HeldTwilio, Holding, start_providers

REPO = Path(__file__).resolve().parents[2]
READY_SECONDS = 60.0
"""A web process on a loaded 2-core box answers /healthz in a few seconds; a minute means it will not."""


@dataclass
class World:
    root: Path
    pg: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None
    web: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    runtime: Runtime | None = None
    practice: PracticeFixture | None = None
    mailbox: HeldMailbox | None = None
    twilio: HeldTwilio | None = None
    holding: Holding | None = None
    """Holds the answers of the local Twilio and mail server (a send in flight) while on."""
    web_port: int = 0
    env: dict[str, str] = field(default_factory=dict)
    _smtp: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def domain(self) -> Any:
        assert self.runtime is not None
        return self.runtime.domain

    @property
    def webhook(self) -> str:
        assert self.practice is not None
        return f"{self.url}/webhooks/forms/{self.practice.form_key}"

    async def start(self) -> None:
        pg_port, redis_port, self.web_port = free_ports(3)
        self.root.mkdir(parents=True, exist_ok=True)
        self.pg = EmbeddedPostgres(self.root, pg_port)
        self.redis = EmbeddedRedis(self.root, redis_port)
        await asyncio.to_thread(self.pg.start)
        await asyncio.to_thread(self.redis.start)
        await asyncio.to_thread(upgrade, self.pg.url)
        self.twilio, self._smtp, self.mailbox, self.holding = await start_providers()
        heads = str(self.root / "audit-heads.jsonl")
        settings = Settings(
            database=DatabaseSettings(url=self.pg.url, migration_url="", pool_size=10),
            redis=RedisSettings(url=self.redis.url, prefix="lrfaults"),
            security=SecuritySettings(audit_head_file=heads, dev_mode=True),
        )
        self.runtime = build_runtime(settings)
        self.practice = await make_practice(
            self.domain,
            staff={
                "ana@bright.example": {"name": "Ana"},
                "boss@bright.example": {"role": "manager", "name": "Maya"},
            },
        )
        self.env = {
            "DATABASE_URL": self.pg.url,
            "REDIS_URL": self.redis.url,
            "LEADROUTER_REDIS_PREFIX": "lrfaults",
            "LEADROUTER_DEV": "1",
            "LEADROUTER_AUDIT_HEAD_FILE": heads,
            "LEADROUTER_PUBLIC_URL": self.url,
            "LEADROUTER_SECURE_COOKIES": "0",
            "LEADROUTER_SMTP_HOST": "127.0.0.1",
            "LEADROUTER_SMTP_PORT": str(self._smtp.port),
            "LEADROUTER_SMTP_STARTTLS": "0",
            "LEADROUTER_LOG_LEVEL": os.environ.get("FAULTS_LOG_LEVEL", "WARNING"),
            "LEADROUTER_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "LEADROUTER_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "LEADROUTER_TWILIO_API_BASE_URL": self.twilio.base_url,
        }
        await self.start_web()
        self.start_worker()
        await self.wait_worker()

    async def start_web(self) -> None:
        self.web = start_web_process(self.web_port, self.env)
        await self.wait_ready()

    async def wait_ready(self, within: float = READY_SECONDS) -> None:
        """Until /readyz answers 200 (web up, PostgreSQL and Redis reachable)."""
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2) as http:
            while time.monotonic() < deadline:
                try:
                    if (await http.get(self.url + "/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"the web process was not ready within {within:.0f} s")

    async def wait_worker(self, within: float = 120.0) -> None:
        """Until the worker process started last has beaten (it beats first thing, then every 15 s)."""
        assert self.worker is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            async with self.domain.sessionmaker() as session:
                marks = await read_marks(session)
            beat = marks.get(WORKER_HEARTBEAT)
            if beat is not None and beat.detail.get("pid") == self.worker.pid:
                return
            if self.worker.poll() is not None:
                raise AssertionError(
                    f"the worker exited with {self.worker.returncode}; see {self.root}/worker.log"
                )
            await asyncio.sleep(0.1)
        raise AssertionError(f"the worker did not start within {within:.0f} s")

    def start_worker(self) -> None:
        with (self.root / "worker.log").open("ab") as log:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "leadrouter.cli", "worker"],
                cwd=REPO,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @staticmethod
    def kill(process: subprocess.Popen[bytes] | None) -> None:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)

    def restart_postgres(self, mode: str = "fast") -> None:
        """Stop PostgreSQL (`fast` ends sessions cleanly, `immediate` is a crash) and start it again."""
        assert self.pg is not None
        self.stop_postgres(mode)
        self.start_postgres()

    def stop_postgres(self, mode: str = "fast") -> None:
        assert self.pg is not None
        self.pg._run("pg_ctl", "stop", "-D", str(self.pg.pgdata), "-m", mode, "-w")

    def start_postgres(self) -> None:
        assert self.pg is not None
        self.pg.start()

    async def set_read_only(self, read_only: bool) -> None:
        """Every new transaction read-only (as a primary put into maintenance is), or writable again."""
        assert self.pg is not None
        dsn = self.pg.url.replace("postgresql+asyncpg://", "postgresql://")
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute("SET default_transaction_read_only = off")  # this session stays writable
            if read_only:
                await admin.execute("ALTER SYSTEM SET default_transaction_read_only = on")
            else:
                await admin.execute("ALTER SYSTEM RESET default_transaction_read_only")
            await admin.execute("SELECT pg_reload_conf()")
        finally:
            await admin.close()

    def kill_redis(self) -> None:
        assert self.redis is not None and self.redis.process is not None
        self.redis.process.send_signal(signal.SIGKILL)
        self.redis.process.wait(timeout=10)
        self.redis.process = None

    def start_redis(self) -> None:
        assert self.redis is not None
        self.redis.start()

    async def board_token(self, email: str = "ana@bright.example") -> str:
        assert self.practice is not None
        return await open_staff_session(self.domain, self.practice.staff[email])

    async def stop(self) -> None:
        for process in (self.worker, self.web):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        if self.runtime is not None:
            await self.runtime.close()
        if self._smtp is not None:
            self._smtp.stop()
        if self.twilio is not None:
            await self.twilio.stop()
        if self.redis is not None:
            await asyncio.to_thread(self.redis.stop)
        if self.pg is not None:
            await asyncio.to_thread(self.pg.stop)
