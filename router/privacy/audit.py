"""The PHI access log: append in the caller's transaction, chain afterwards, verify on demand.

Intake never waits on the chain: rows are inserted unsealed, and a single sealer (the worker's
cron, under an advisory lock) chains committed rows in id order a moment later. Rows that commit
late are chained when they appear, so the chain order is the sealing order, not the id order.

The chain is keyed: each link is HMAC-SHA256 under LEADROUTER_AUDIT_KEY, which never enters the
database, so someone who can rewrite rows (even the tables' owner) cannot recompute the links.
Rows sealed before migration 0010 were chained with plain SHA-256; the marker row
`audit.chain_keyed` names the last of them, and verification checks each part its own way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.core.clock import clock_of
from router.core.models import AuditRecord

SEALER_LOCK_KEY = 0x1EAD_A0D1
"""Advisory lock id that makes the sealer a singleton across workers."""
GENESIS_HASH = b"\x00" * 32
CHAIN_KEYED_ACTION = "audit.chain_keyed"
"""The marker migration 0010 writes: `details.legacy_until_seq` is the last SHA-256 link."""


def chain_key(encoded: str) -> bytes:
    """The audit chain's HMAC key from its base64 configuration (at least 16 bytes)."""
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise ValueError("LEADROUTER_AUDIT_KEY must be base64") from exc
    if len(key) < 16:
        raise ValueError("LEADROUTER_AUDIT_KEY must be at least 16 bytes")
    return key


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, an integration (a webhook sender) or the system itself."""

    type: str
    id: str
    ip: str | None = None
    session_id: str | None = None
    break_glass: str | None = None
    """The break-glass grant the actor is using: every record they cause is flagged with it."""

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(type="system", id=name)


def new_record(
    *,
    at: datetime,
    actor: Actor,
    action: str,
    practice_id: uuid.UUID | None,
    lead_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """An audit row not yet in any session (the intake inserts it with its other rows at once)."""
    details = details or {}
    if actor.break_glass is not None:
        details = {**details, "break_glass": actor.break_glass}
    return AuditRecord(
        occurred_at=at,
        actor_type=actor.type,
        actor_id=actor.id,
        action=action,
        practice_id=practice_id,
        lead_id=lead_id,
        ip=actor.ip,
        details=details,
    )


def record(
    session: AsyncSession,
    *,
    actor: Actor,
    action: str,
    practice_id: uuid.UUID | None,
    lead_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append an audit row in the current transaction; details carry ids and codes, never PHI."""
    entry = new_record(
        at=clock_of(session).now(),
        actor=actor,
        action=action,
        practice_id=practice_id,
        lead_id=lead_id,
        details=details,
    )
    session.add(entry)
    return entry


def record_read(
    session: AsyncSession, *, actor: Actor, practice_id: uuid.UUID | None, lead_id: uuid.UUID, via: str
) -> AuditRecord:
    """`record` that the actor saw a lead, and through which view (`via`)."""
    return record(
        session,
        actor=actor,
        action="lead.read",
        practice_id=practice_id,
        lead_id=lead_id,
        details={"via": via},
    )


async def record_reads_once(
    session: AsyncSession,
    *,
    actor: Actor,
    leads: Sequence[tuple[uuid.UUID, uuid.UUID | None]],
    via: str,
    now: datetime,
    window: timedelta,
) -> int:
    """`record_read` for each (lead, practice) the actor has no read of through `via` within `window`.

    For views that refresh or re-render often (the board's cards, the dashboard): "who saw this
    patient, and when" is answered to the window without a row per render. Returns the rows written.
    """
    if not leads:
        return 0
    recent = set(
        (
            await session.scalars(
                select(AuditRecord.lead_id).where(
                    AuditRecord.lead_id.in_([lead_id for lead_id, _ in leads]),
                    AuditRecord.actor_id == actor.id,
                    AuditRecord.action == "lead.read",
                    AuditRecord.details["via"].astext == via,
                    AuditRecord.occurred_at > now - window,
                )
            )
        ).all()
    )
    due = {lead_id: practice_id for lead_id, practice_id in leads if lead_id not in recent}
    for lead_id, practice_id in due.items():
        record_read(session, actor=actor, practice_id=practice_id, lead_id=lead_id, via=via)
    return len(due)


def _canonical(row: AuditRecord) -> bytes:
    fields = {
        "id": row.id,
        "occurred_at": row.occurred_at.isoformat(),
        "actor_type": row.actor_type,
        "actor_id": row.actor_id,
        "action": row.action,
        "practice_id": str(row.practice_id) if row.practice_id else None,
        "lead_id": str(row.lead_id) if row.lead_id else None,
        "ip": row.ip,
        "details": row.details,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str).encode()


def chain_hash(prev_hash: bytes, row: AuditRecord, *, key: bytes) -> bytes:
    """HMAC(key, previous hash || canonical row): editing or removing a sealed row breaks every later
    link, and nobody without the key can forge new ones."""
    return hmac.new(key, prev_hash + _canonical(row), hashlib.sha256).digest()


def legacy_chain_hash(prev_hash: bytes, row: AuditRecord) -> bytes:
    """The unkeyed link of rows sealed before migration 0010."""
    return hashlib.sha256(prev_hash + _canonical(row)).digest()


async def seal_pending(
    sessionmaker: async_sessionmaker[AsyncSession], *, key: bytes, batch: int = 2000
) -> int:
    """Chain committed, unsealed rows; returns how many were sealed (0 if another sealer runs)."""
    async with sessionmaker() as session, session.begin():
        got = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SEALER_LOCK_KEY})
        if not got:
            return 0
        head = (
            await session.execute(
                select(AuditRecord.chain_seq, AuditRecord.row_hash)
                .where(AuditRecord.chain_seq.is_not(None))
                .order_by(AuditRecord.chain_seq.desc())
                .limit(1)
            )
        ).first()
        seq, prev = (head[0], head[1]) if head else (0, GENESIS_HASH)
        rows = (
            await session.scalars(
                select(AuditRecord)
                .where(AuditRecord.chain_seq.is_(None))
                .order_by(AuditRecord.id)
                .limit(batch)
            )
        ).all()
        for row in rows:
            seq += 1
            row.chain_seq = seq
            row.prev_hash = prev
            row.row_hash = chain_hash(prev, row, key=key)
            prev = row.row_hash
        return len(rows)
