"""An overflow agent's "call back at": a task that brings the lead back at its due time.

Between the call and the due time the lead waits out of the agents' queue; when it falls due the
worker (router/schedule.py) marks it surfaced and announces it, so the lead shows at the top of the
agents' queue and on the practice's board with the agent's note. Acting on the lead again (another
outcome, a hand-back) or closing it ends the task.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.core.events import record_lead_event
from router.core.models import CallBackTask, Interaction, Lead
from router.core.phi_columns import INTERACTION_NOTE

SURFACE_BATCH = 200
"""Tasks surfaced per worker run; a backlog after an outage drains at this many every 15 seconds."""


@dataclass(frozen=True)
class DueCallBack:
    """A call-back that has fallen due, with the agent's note (PHI: shown only with the lead)."""

    lead_id: uuid.UUID
    due_at: datetime
    note: str | None


def call_back_time(value: str | None, time_zone: str, now: datetime) -> datetime:
    """The agent's "call back at" (the patient's wall-clock time) as an aware time; past or malformed
    times are refused beside the field."""
    raw = (value or "").strip()
    if not raw:
        raise InvalidFields({"call_back_at": "Say when to call back (the patient's time)."})
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidFields(
            {"call_back_at": "Enter the date and time as shown, e.g. 2026-12-08 09:30."}
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(time_zone))
    if moment <= now:
        raise InvalidFields({"call_back_at": "That time has passed; enter a time in the future."})
    return moment


def waiting_for_call_back(now: datetime) -> ColumnElement[bool]:
    """SQL: the lead has a call-back that is not due yet (it stays out of the queue until then)."""
    return exists().where(
        CallBackTask.lead_id == Lead.id,
        CallBackTask.done_at.is_(None),
        CallBackTask.surfaced_at.is_(None),
        CallBackTask.due_at > now,
    )


def due_call_back_at() -> Any:
    """SQL: when the lead's surfaced, open call-back fell due (NULL when none); these sort first."""
    return (
        select(CallBackTask.due_at)
        .where(
            CallBackTask.lead_id == Lead.id,
            CallBackTask.done_at.is_(None),
            CallBackTask.surfaced_at.is_not(None),
        )
        .order_by(CallBackTask.due_at)
        .limit(1)
        .scalar_subquery()
    )


def add_call_back(
    session: AsyncSession,
    lead: Lead,
    *,
    due_at: datetime,
    interaction_id: uuid.UUID,
    user_id: uuid.UUID | None,
    now: datetime,
) -> CallBackTask:
    task = CallBackTask(
        id=uuid.uuid4(),
        practice_id=lead.practice_id,
        lead_id=lead.id,
        interaction_id=interaction_id,
        due_at=due_at,
        created_by_user_id=user_id,
        created_at=now,
    )
    session.add(task)
    return task


async def finish_call_backs(session: AsyncSession, lead_id: uuid.UUID, now: datetime) -> None:
    """Someone acted on the lead again: its open call-backs are done."""
    await session.execute(
        update(CallBackTask)
        .where(CallBackTask.lead_id == lead_id, CallBackTask.done_at.is_(None))
        .values(done_at=now)
    )


async def due_call_backs(
    session: AsyncSession, domain: Domain, lead_ids: list[uuid.UUID]
) -> dict[uuid.UUID, DueCallBack]:
    """The surfaced, open call-backs of these leads with their notes (for the queue and the board)."""
    if not lead_ids:
        return {}
    rows = await session.execute(
        select(CallBackTask.lead_id, CallBackTask.due_at, Interaction.id, Interaction.note_enc)
        .outerjoin(Interaction, Interaction.id == CallBackTask.interaction_id)
        .where(
            CallBackTask.lead_id.in_(lead_ids),
            CallBackTask.done_at.is_(None),
            CallBackTask.surfaced_at.is_not(None),
        )
        .order_by(CallBackTask.due_at.desc())
    )
    found: dict[uuid.UUID, DueCallBack] = {}
    for lead_id, due_at, note_id, note in rows:
        found[lead_id] = DueCallBack(
            lead_id, due_at, domain.cipher.open(note, column=INTERACTION_NOTE, row_id=note_id)
        )
    return found


async def surface_due_call_backs(domain: Domain) -> int:
    """Bring back every call-back that has fallen due (once each); closed leads' tasks just end."""
    now = domain.clock.now()
    surfaced = 0
    async with domain.transaction() as session:
        rows = await session.execute(
            select(CallBackTask, Lead)
            .join(Lead, Lead.id == CallBackTask.lead_id)
            .where(
                and_(
                    CallBackTask.surfaced_at.is_(None),
                    CallBackTask.done_at.is_(None),
                    CallBackTask.due_at <= now,
                )
            )
            .order_by(CallBackTask.due_at)
            .limit(SURFACE_BATCH)
            .with_for_update(of=CallBackTask, skip_locked=True)
        )
        due = list(rows.tuples())
        for task, lead in due:
            task.surfaced_at = now
            if lead.status != "open":
                task.done_at = now
                continue
            lead.overflow = True
            lead.last_activity_at = now
        for task, lead in due:  # events last: they hold the event-order lock until commit
            if lead.status == "open":
                await record_lead_event(session, lead, "lead.call_back_due", {"task_id": str(task.id)})
                surfaced += 1
    return surfaced


async def surface_due_call_backs_task(ctx: dict[str, Any]) -> dict[str, int]:
    """The worker's cadence for `surface_due_call_backs` (router/schedule.py)."""
    return {"surfaced": await surface_due_call_backs(ctx["domain"])}
