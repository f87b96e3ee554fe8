"""A lead whose match to a patient awaits a manager's review has its follow-up paused, not ended.

While paused, the sequence runs no step and the sender keeps its queued messages unsent. A review
answered "not this patient" (and no other pair of the lead still waiting) resumes it where it stood:
steps that fell due meanwhile run at the next tick, queued messages are scheduled again. A lead linked
to a patient the PMS shows with a visit leaves the sequence ("booked", or "existing_patient" for
someone the practice already treats); linked to a patient with no visit, it resumes.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import MatchReview, NurtureEnrolment, NurtureMessage
from router.nurture.exits import end_enrolment

Resumed = list[tuple[uuid.UUID, datetime]]
"""Queued messages to schedule again after commit: (message id, when)."""


async def awaiting_review(session: AsyncSession, lead_id: uuid.UUID) -> bool:
    """Whether a pair of this lead and a patient waits in the managers' review queue."""
    pending = await session.scalar(  # an ORM select, so a decision made in this session is flushed first
        select(MatchReview.id).where(MatchReview.lead_id == lead_id, MatchReview.status == "pending").limit(1)
    )
    return pending is not None


async def _current(session: AsyncSession, lead_id: uuid.UUID, status: str) -> NurtureEnrolment | None:
    return await session.scalar(
        select(NurtureEnrolment)
        .where(NurtureEnrolment.lead_id == lead_id, NurtureEnrolment.status == status)
        .with_for_update()
    )


async def pause_for_review(session: AsyncSession, lead_id: uuid.UUID) -> bool:
    """Pause the lead's running sequence (False when it runs none)."""
    enrolment = await _current(session, lead_id, "active")
    if enrolment is None:
        return False
    enrolment.status = "paused"
    return True


async def resume_after_review(session: AsyncSession, lead_id: uuid.UUID, now: datetime) -> Resumed:
    """Resume the lead's paused sequence unless another pair of it still waits for review."""
    if await awaiting_review(session, lead_id):
        return []
    enrolment = await _current(session, lead_id, "paused")
    if enrolment is None:
        return []
    enrolment.status = "active"
    if enrolment.next_due_at is not None:
        enrolment.next_due_at = max(enrolment.next_due_at, now)
    queued = await session.execute(
        select(NurtureMessage.id, NurtureMessage.send_after).where(
            NurtureMessage.enrolment_id == enrolment.id, NurtureMessage.status == "queued"
        )
    )
    return [(message_id, max(send_after or now, now)) for message_id, send_after in queued]


async def settle_after_link(
    session: AsyncSession, lead_id: uuid.UUID, exit_reason: str | None, now: datetime
) -> Resumed:
    """The lead was linked to a patient: leave the sequence for `exit_reason`, else resume it."""
    if exit_reason is None:
        return await resume_after_review(session, lead_id, now)
    enrolment = await session.scalar(
        select(NurtureEnrolment)
        .where(NurtureEnrolment.lead_id == lead_id, NurtureEnrolment.status.in_(("active", "paused")))
        .with_for_update()
    )
    if enrolment is not None:
        await end_enrolment(session, enrolment, exit_reason, now)
    return []
