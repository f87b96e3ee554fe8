"""Domain events: written in the action's transaction, announced only after it commits."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import DateTime, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.clock import clock_of
from router.core.models import DomainEvent
from router.core.unit_of_work import note_event

EVENT_ORDER_LOCK_KEY = 0x1EAD_E7E7
"""Advisory lock held from the event insert to commit: ids then increase in commit order, so a
board resuming "after id N" can never miss an event that committed later with a smaller id.

Every transaction takes its locks in one order, so that none waits for another while holding what
that one waits for: a person's intake locks (router/intake/matching.py) first, then row locks, and this
lock last. A row lock taken implicitly after it (the foreign-key check of a row written in the same
statement) must already be held: see the `household` lock in router/intake/new_lead.py."""

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
    "staff.access_changed",
    "model.promoted",
    "lead.overflowed",
    "lead.call_updated",
    "lead.sms_received",
    "lead.opt_out_flagged",
    "lead.disposition",
    "lead.handed_back",
    "lead.deadline_changed",
    "lead.call_back_due",
    "lead.follow_up_call",
    "lead.texts_read",
    "practice.configured",
    "lead.appointment_changed",
)


async def latest_event_id(session: AsyncSession) -> int:
    """The newest committed event id (0 when there is none): the position a board resumes from."""
    return int(await session.scalar(select(func.coalesce(func.max(DomainEvent.id), 0))) or 0)


async def record_event(
    session: AsyncSession,
    *,
    kind: str,
    practice_id: uuid.UUID | None,
    location_id: uuid.UUID | None,
    lead_id: uuid.UUID | None,
    payload: dict[str, Any] | None = None,
) -> int:
    """Append a domain event; call it as the transaction's last write to keep the lock short.

    The id is noted in the session: `domain.transaction()` rings the boards with it after commit."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown domain event kind {kind!r}")
    event_id = await session.scalar(
        _APPEND_EVENT_IN_ORDER,
        {
            "k": EVENT_ORDER_LOCK_KEY,
            "kind": kind,
            "practice_id": practice_id,
            "location_id": location_id,
            "lead_id": lead_id,
            "payload": payload or {},
            "created_at": clock_of(session).now(),
        },
    )
    assert event_id is not None
    note_event(session, int(event_id))
    return int(event_id)


class LeadPlace(Protocol):
    """A lead, or a row of one: its id and where it belongs."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def practice_id(self) -> uuid.UUID: ...
    @property
    def location_id(self) -> uuid.UUID | None: ...


async def record_lead_event(
    session: AsyncSession, lead: LeadPlace, kind: str, payload: dict[str, Any] | None = None
) -> int:
    """`record_event` for one lead, placed at the lead's practice and location."""
    return await record_event(
        session,
        kind=kind,
        practice_id=lead.practice_id,
        location_id=lead.location_id,
        lead_id=lead.id,
        payload=payload,
    )


_APPEND_EVENT_IN_ORDER = text(
    "INSERT INTO domain_events (kind, practice_id, location_id, lead_id, payload, created_at) "
    "SELECT :kind, :practice_id, :location_id, :lead_id, :payload, :created_at "
    "FROM (SELECT pg_advisory_xact_lock(:k)) AS in_commit_order RETURNING id"
).bindparams(
    bindparam("practice_id", type_=UUID),
    bindparam("location_id", type_=UUID),
    bindparam("lead_id", type_=UUID),
    bindparam("payload", type_=JSONB),
    bindparam("created_at", type_=DateTime(timezone=True)),
)
"""Takes the ordering lock and appends the event in one round trip: the id (nextval) is drawn only
once the lock is held, so ids follow commit order."""
