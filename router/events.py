"""Domain events: written in the action's transaction, announced only after it commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from router.clock import utcnow
from router.models import DomainEvent

EVENT_ORDER_LOCK_KEY = 0x1EAD_E7E7
"""Advisory lock held from the event insert to commit: ids then increase in commit order, so a
board resuming "after id N" can never miss an event that committed later with a smaller id."""

EVENT_KINDS = (
    "lead.created",
    "lead.touched",
    "lead.assigned",
    "lead.scored",
    "lead.claimed",
    "lead.released",
    "lead.contact_logged",
    "lead.contacted",
    "lead.closed",
    "lead.escalated",
    "staff.availability",
    "model.promoted",
    "lead.overflowed",
    "lead.call_updated",
    "lead.sms_received",
    "lead.opt_out_flagged",
    "lead.disposition",
    "lead.handed_back",
)


async def record_event(
    session: AsyncSession,
    *,
    kind: str,
    practice_id: uuid.UUID | None,
    location_id: uuid.UUID | None,
    lead_id: uuid.UUID | None,
    payload: dict[str, Any] | None = None,
) -> int:
    """Append a domain event; call it as the transaction's last write to keep the lock short."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown domain event kind {kind!r}")
    await session.execute(_TAKE_ORDER_LOCK, {"k": EVENT_ORDER_LOCK_KEY})
    event_id = await session.scalar(
        _APPEND_EVENT,
        {
            "kind": kind,
            "practice_id": practice_id,
            "location_id": location_id,
            "lead_id": lead_id,
            "payload": payload or {},
            "created_at": utcnow(),
        },
    )
    assert event_id is not None
    return int(event_id)


_TAKE_ORDER_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_APPEND_EVENT = DomainEvent.__table__.insert().returning(DomainEvent.__table__.c.id)
"""Built once, so every event reuses the compiled statement."""
