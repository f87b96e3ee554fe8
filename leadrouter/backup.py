"""Backups with PostgreSQL's own pg_dump and pg_restore (custom format), of the server's major version.

A backup is two files: the dump, and beside it a manifest (`<dump>.json`) taken in the same snapshot
as the dump: which PHI keys sealed the data, how many leads, the audit chain's newest link, and the
dump's SHA-256. A restore reads the manifest first and refuses before touching anything when the
configured keys lack one the data needs (naming it), when the file changed since it was written, or
when the target database is not empty; after restoring it proves the data is usable: a sample of
every encrypted column decrypts, and the audit chain verifies.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from router.core.crypto import FieldCipher
from router.core.db import tls_connect_args
from router.core.settings import Settings
from router.ops.restore_checks import decrypt_sample, key_ids_in_use, missing_keys, verify_restored_chain

DEBIAN_POSTGRES_ROOT = Path("/usr/lib/postgresql")
MANIFEST_FORMAT = 1
RESTORE_JOBS = 2
"""pg_restore loads tables and builds indexes in this many parallel connections (a 2-core host)."""


class Steps(Protocol):
    """Progress of a long command: a stage starts with its number of steps, then steps are done."""

    def start(self, words: str, total: int) -> None: ...
    def advance(self, count: int = 1) -> None: ...


class NoSteps:
    """Progress nobody watches (tests, scripts)."""

    def start(self, words: str, total: int) -> None:
        return None

    def advance(self, count: int = 1) -> None:
        return None


class BackupRefused(Exception):
    """A backup or restore that must not go ahead, in words an operator can act on."""


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".json")


def libpq_env(url: str) -> dict[str, str]:
    """The connection of a SQLAlchemy URL as libpq's variables (no password on a command line)."""
    parsed = make_url(url)
    env = {
        "PGHOST": parsed.host or "127.0.0.1",
        "PGPORT": str(parsed.port or 5432),
        "PGUSER": parsed.username or "postgres",
        "PGDATABASE": parsed.database or "postgres",
    }
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    for name, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if name in parsed.query:
            env[variable] = str(parsed.query[name])
    return env


def pg_tool(name: str, major: int) -> Path:
    """`pg_dump` or `pg_restore` of the server's major version: Debian's first, else PATH's if it matches."""
    debian = DEBIAN_POSTGRES_ROOT / str(major) / "bin" / name
    if debian.exists():
        return debian
    found = shutil.which(name)
    if found:
        version = subprocess.run([found, "--version"], capture_output=True, text=True, check=False).stdout
        match = re.search(r"(\d+)(?:\.\d+)?", version)
        if match and int(match.group(1)) == major:
            return Path(found)
    raise BackupRefused(
        f"no {name} of PostgreSQL {major} (the server's version) in {debian.parent} or on PATH; "
        f"install postgresql-client-{major}"
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


async def _run_tool(command: list[str], env: dict[str, str], steps: Steps, step: re.Pattern[str]) -> None:
    """Run a PostgreSQL tool, one progress step per verbose line matching `step`; its errors raise."""
    import os

    process = await asyncio.create_subprocess_exec(
        *command, env={**os.environ, **env}, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    errors: list[str] = []
    async for raw in process.stderr:
        line = raw.decode(errors="replace").strip()
        if step.search(line):
            steps.advance()
        elif "error" in line.lower() or "fatal" in line.lower():
            errors.append(line)
    if await process.wait() != 0:
        raise BackupRefused(
            f"{Path(command[0]).name} failed: " + ("; ".join(errors[-3:]) or "see its output")
        )


@dataclass
class BackupResult:
    dump: Path
    manifest: dict[str, Any]
    seconds: float

    @property
    def mark(self) -> dict[str, Any]:
        """What the status page shows of it."""
        return {
            "file": self.dump.name,
            "bytes": self.manifest["dump_bytes"],
            "leads": self.manifest["leads"],
            "seconds": round(self.seconds, 1),
        }


async def _snapshot_facts(connection: Any) -> dict[str, Any]:
    tables = await connection.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
    return {
        "server_version": await connection.scalar(text("SHOW server_version")),
        "server_major": int(await connection.scalar(text("SHOW server_version_num"))) // 10000,
        "tables": int(tables or 0),
        "leads": int(await connection.scalar(text("SELECT count(*) FROM leads")) or 0),
        "audit_chain_seq": int(
            await connection.scalar(text("SELECT coalesce(max(chain_seq), 0) FROM audit_log"))
        ),
        "key_ids": await key_ids_in_use(connection),
    }


async def take_backup(url: str, dump: Path, steps: Steps) -> BackupResult:
    """pg_dump of the database at `url` into `dump` (custom format) and its manifest, in one snapshot."""
    started = time.monotonic()
    await asyncio.to_thread(dump.parent.mkdir, parents=True, exist_ok=True)
    plain_url, tls = tls_connect_args(url)
    engine = create_async_engine(plain_url, connect_args=tls)
    try:
        async with engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="REPEATABLE READ")
            await connection.begin()
            snapshot = await connection.scalar(text("SELECT pg_export_snapshot()"))
            facts = await _snapshot_facts(connection)
            tool = pg_tool("pg_dump", facts["server_major"])
            steps.start("Dumping tables", facts["tables"])
            command = [str(tool), "--format=custom", f"--snapshot={snapshot}", "--verbose", f"--file={dump}"]
            await _run_tool(command, libpq_env(url), steps, re.compile(r"dumping contents of table"))
            await connection.rollback()
    finally:
        await engine.dispose()
    manifest = await asyncio.to_thread(_write_manifest, dump, facts, make_url(url).database)
    return BackupResult(dump, manifest, time.monotonic() - started)


def _write_manifest(dump: Path, facts: dict[str, Any], database: str | None) -> dict[str, Any]:
    manifest = {
        "format": MANIFEST_FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database": database,
        **facts,
        "dump_bytes": dump.stat().st_size,
        "sha256": sha256_of(dump),
    }
    manifest_path(dump).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def read_manifest(dump: Path, cipher: FieldCipher) -> dict[str, Any]:
    """The backup's manifest, after checking the dump is unchanged and every key it needs is configured."""
    path = manifest_path(dump)
    if not dump.exists():
        raise BackupRefused(f"no backup file {dump}")
    if not path.exists():
        raise BackupRefused(f"the manifest {path} is missing: it names the PHI keys the data needs")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if sha256_of(dump) != manifest.get("sha256"):
        raise BackupRefused(
            f"{dump} is not the file its manifest describes (SHA-256 differs): damaged or replaced"
        )
    missing = missing_keys(manifest.get("key_ids", {}), cipher)
    if missing:
        raise BackupRefused(
            f"refusing to restore: the data was sealed with PHI key{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}, which LEADROUTER_PHI_KEYS does not include; add "
            f"{'them' if len(missing) > 1 else 'it'} (every listed key decrypts, the first encrypts)"
        )
    return manifest


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    seconds: float = 0.0
    verify_seconds: float = 0.0
    leads: int = 0
    decrypted: int = 0
    audit_rows: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def _target_facts(url: str) -> tuple[int, int]:
    """(server major version, tables already in the target's public schema)."""
    plain_url, tls = tls_connect_args(url)
    engine = create_async_engine(plain_url, connect_args=tls)
    try:
        async with engine.connect() as connection:
            major = int(await connection.scalar(text("SHOW server_version_num"))) // 10000
            tables = await connection.scalar(
                text("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                     "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                     "AND n.nspname NOT LIKE 'pg_toast%'")
            )  # fmt: skip
    finally:
        await engine.dispose()
    return major, int(tables or 0)


async def verify_restore(
    url: str, settings: Settings, result: RestoreResult, *, heads_file: str | None
) -> None:
    """The restored data is usable: keys, a decrypted sample of every encrypted column, the audit chain."""
    started = time.monotonic()
    cipher = FieldCipher.from_config(settings.security.phi_keys)
    plain_url, tls = tls_connect_args(url)
    engine = create_async_engine(plain_url, connect_args=tls)
    try:
        async with AsyncSession(engine) as session:
            missing = missing_keys(await key_ids_in_use(session), cipher)
            if missing:
                result.problems.append(f"values sealed with PHI keys not configured: {', '.join(missing)}")
            sample = await decrypt_sample(session, cipher)
            result.decrypted = sample.checked
            result.problems += sample.failures
            chain = await verify_restored_chain(session, settings.security, heads_file=heads_file)
            result.audit_rows = chain.sealed
            result.problems += [f"audit chain: {problem}" for problem in chain.problems]
            result.leads = int(await session.scalar(text("SELECT count(*) FROM leads")) or 0)
    finally:
        await engine.dispose()
    if result.leads != result.manifest.get("leads"):
        result.problems.append(
            f"{result.leads} leads restored, the backup held {result.manifest.get('leads')}"
        )
    result.verify_seconds = time.monotonic() - started


async def restore_backup(
    dump: Path, url: str, settings: Settings, steps: Steps, *, heads_file: str | None = None
) -> RestoreResult:
    """pg_restore `dump` into the empty database at `url`, then verify it (see the module's docstring)."""
    manifest = await asyncio.to_thread(
        read_manifest, dump, FieldCipher.from_config(settings.security.phi_keys)
    )
    major, tables = await _target_facts(url)
    if tables:
        raise BackupRefused(
            f"refusing to restore into {make_url(url).database}: it already holds {tables} tables or "
            "sequences; restore into a new, empty database (createdb, then point DATABASE_URL at it)"
        )
    tool = pg_tool("pg_restore", major)
    listing = (
        await asyncio.to_thread(
            subprocess.run, [str(tool), "--list", str(dump)], capture_output=True, text=True, check=True
        )
    ).stdout
    steps.start("Restoring", sum(1 for line in listing.splitlines() if line and not line.startswith(";")))
    started = time.monotonic()
    command = [str(tool), "--no-owner", "--no-privileges", "--exit-on-error", f"--jobs={RESTORE_JOBS}"]
    command += ["--verbose", f"--dbname={make_url(url).database}", str(dump)]
    await _run_tool(command, libpq_env(url), steps, re.compile(r"(processing|launching) item|creating "))
    result = RestoreResult(manifest, seconds=time.monotonic() - started)
    steps.start("Verifying keys, a decrypted sample and the audit chain", 1)
    await verify_restore(url, settings, result, heads_file=heads_file)
    steps.advance()
    return result
