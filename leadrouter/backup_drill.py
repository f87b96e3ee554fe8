"""`leadrouter backup drill`: back up, restore into a fresh database, verify, and time each step.

By default the drill backs up the configured database (the demo data, in CI). `--leads N` builds a
scratch database of N simulated leads first (encrypted as real ones are, with sealed audit records),
so the time a restore of a large practice group takes can be measured on demand; scratch and drill
databases are dropped afterwards whatever happens.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from leadrouter.backup import Steps, restore_backup, take_backup
from router.core.crypto import BlindIndex, FieldCipher
from router.core.db import tls_connect_args, upgrade
from router.core.phi_columns import LEAD_EMAIL, LEAD_FIRST_NAME, LEAD_LAST_NAME, LEAD_PHONE
from router.core.settings import Settings
from router.privacy import audit

HIPAA_PROPOSED_RESTORE_HOURS = 72
"""The 2025 proposed HIPAA Security Rule update: restore critical systems and data within 72 hours."""
FILL_BATCH = 20_000
"""Leads per COPY while building the scratch database: big enough to stream, small enough to report."""
AUDIT_EVERY = 50
"""One sealed audit record per this many simulated leads, so the chain the restore verifies is real."""


@dataclass
class DrillReport:
    leads: int = 0
    dump_bytes: int = 0
    fill_seconds: float = 0.0
    backup_seconds: float = 0.0
    restore_seconds: float = 0.0
    verify_seconds: float = 0.0
    decrypted: int = 0
    audit_rows: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def recovery_seconds(self) -> float:
        """From a backup file in hand to a verified database: what the 72-hour rule measures."""
        return self.restore_seconds + self.verify_seconds

    @property
    def hipaa_margin(self) -> float:
        """How many times the recovery fits into HIPAA's proposed 72 hours."""
        return HIPAA_PROPOSED_RESTORE_HOURS * 3600 / max(self.recovery_seconds, 0.001)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    return (
        make_url(tls_connect_args(url)[0]).set(drivername="postgresql").render_as_string(hide_password=False)
    )


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(_libpq(_with_database(url, "postgres")))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _lead_rows(
    start: int, count: int, practice: uuid.UUID, cipher: FieldCipher, index: BlindIndex
) -> list[tuple]:
    now = datetime.now(UTC)
    rows = []
    for n in range(start, start + count):
        lead = uuid.uuid4()
        phone, email = f"+1512{n % 10_000_000:07d}", f"patient{n}@example.com"
        at = now - timedelta(minutes=n % 500_000)
        rows.append(
            (
                lead,
                practice,
                cipher.seal(f"First{n}", column=LEAD_FIRST_NAME, row_id=lead),
                cipher.seal(f"Last{n}", column=LEAD_LAST_NAME, row_id=lead),
                cipher.seal(phone, column=LEAD_PHONE, row_id=lead),
                cipher.seal(email, column=LEAD_EMAIL, row_id=lead),
                index.digest(phone, kind="phone"),
                index.digest(email, kind="email"),
                "form", "website", "closed", "lead", "[]", False, 0, False, 1, at, at,
            )
        )  # fmt: skip
    return rows


LEAD_COLUMNS = (
    "id", "practice_id", "first_name_enc", "last_name_enc", "phone_enc", "email_enc", "phone_index",
    "email_index", "source_kind", "source_channel", "status", "stage", "score_reasons", "score_pooled",
    "escalation_level", "overflow", "touch_count", "received_at", "last_activity_at",
)  # fmt: skip


async def fill_simulated(url: str, settings: Settings, leads: int, steps: Steps) -> None:
    """A migrated database at `url` holding `leads` simulated, encrypted leads and sealed audit records."""
    if not logging.getLogger().isEnabledFor(logging.DEBUG):  # one line per revision is noise here
        logging.getLogger("alembic").setLevel(logging.WARNING)
    await asyncio.to_thread(upgrade, url)
    cipher = FieldCipher.from_config(settings.security.phi_keys)
    index = BlindIndex.from_config(settings.security.blind_index_key)
    practice = uuid.uuid4()
    connection = await asyncpg.connect(_libpq(url))
    try:
        await connection.execute(
            "INSERT INTO practices (id, slug, name, time_zone, settings) "
            "VALUES ($1, 'drill', 'Drill Dental', 'America/Chicago', '{}')",
            practice,
        )
        steps.start(f"Building {leads:,} simulated leads", leads)
        for start in range(0, leads, FILL_BATCH):
            rows = _lead_rows(start, min(FILL_BATCH, leads - start), practice, cipher, index)
            await connection.copy_records_to_table("leads", records=rows, columns=LEAD_COLUMNS)
            audit_rows = [
                (row[17], "system", "drill", "lead.create", practice, row[0], "{}")
                for row in rows[::AUDIT_EVERY]
            ]
            await connection.copy_records_to_table(
                "audit_log",
                records=audit_rows,
                columns=(
                    "occurred_at",
                    "actor_type",
                    "actor_id",
                    "action",
                    "practice_id",
                    "lead_id",
                    "details",
                ),
            )
            steps.advance(len(rows))
    finally:
        await connection.close()
    await _seal(url, settings)


async def _seal(url: str, settings: Settings) -> None:
    plain_url, tls = tls_connect_args(url)
    engine = create_async_engine(plain_url, connect_args=tls)
    try:
        key = audit.chain_key(settings.security.audit_key)
        while await audit.seal_pending(async_sessionmaker(engine), key=key, batch=20_000):
            pass
    finally:
        await engine.dispose()


async def run_drill(settings: Settings, steps: Steps, *, leads: int | None = None) -> DrillReport:
    """Back up (a scratch database of `leads` simulated leads, or the configured one), restore into a
    fresh database, verify; every database the drill made is dropped at the end."""
    base = settings.database.owner_url
    suffix = secrets.token_hex(4)
    source, made = base, []
    report = DrillReport()
    heads_file = None
    try:
        if leads:
            name = f"{make_url(base).database}_drill_source_{suffix}"
            await _admin(base, f'CREATE DATABASE "{name}"')
            made.append(name)
            source, heads_file = _with_database(base, name), ""  # the deployment's heads are not its
            started = time.monotonic()
            await fill_simulated(source, settings, leads, steps)
            report.fill_seconds = time.monotonic() - started
        with tempfile.TemporaryDirectory(prefix="leadrouter-drill-") as folder:
            backup = await take_backup(source, Path(folder) / "drill.dump", steps)
            report.backup_seconds, report.dump_bytes = backup.seconds, backup.manifest["dump_bytes"]
            target = f"{make_url(base).database}_drill_{suffix}"
            await _admin(base, f'CREATE DATABASE "{target}"')
            made.append(target)
            restored = await restore_backup(
                backup.dump, _with_database(base, target), settings, steps, heads_file=heads_file
            )
        report.leads, report.decrypted, report.audit_rows = (
            restored.leads,
            restored.decrypted,
            restored.audit_rows,
        )
        report.restore_seconds, report.verify_seconds = restored.seconds, restored.verify_seconds
        report.problems = restored.problems
    finally:
        for name in reversed(made):
            await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return report
