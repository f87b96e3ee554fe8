"""Presence and availability: who is at the desk for the next lead (set by hand, or seen from the board)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import InvalidChoice
from router.core.events import record_event
from router.core.models import AVAILABILITY, StaffUser
from router.leads.actions import ActionResult
from router.privacy import audit
from router.privacy.access import Viewer

AWAY_AFTER = timedelta(minutes=3)
"""A board reconnects within seconds after a network blip or a deploy; three minutes without one
means nobody is at the desk, and a new lead should go to someone who is."""
BOARD_STAFF_ROLES = ("front_desk", "manager")
PRESENCE = audit.Actor.system("presence")


async def _record_changes(
    session: AsyncSession, rows: Collection[Any], *, availability: str, automatic: bool
) -> list[int]:
    event_ids = []
    for user_id, practice_id in rows:
        audit.record(
            session,
            actor=PRESENCE,
            action="staff.availability",
            practice_id=practice_id,
            details={"user_id": str(user_id), "availability": availability, "automatic": automatic},
        )
        event_ids.append(
            await record_event(
                session,
                kind="staff.availability",
                practice_id=practice_id,
                location_id=None,
                lead_id=None,
                payload={"user_id": str(user_id), "availability": availability, "automatic": automatic},
            )
        )
    return event_ids


async def touch_presence(domain: Domain, user_ids: Collection[uuid.UUID], *, now: datetime) -> list[int]:
    """Staff with a board open were seen now; those marked away automatically are available again."""
    if not user_ids:
        return []
    async with domain.transaction() as session:
        await session.execute(
            update(StaffUser).where(StaffUser.id.in_(list(user_ids))).values(last_seen_at=now)
        )
        back = (
            await session.execute(
                update(StaffUser)
                .where(StaffUser.id.in_(list(user_ids)), StaffUser.away_automatically.is_(True))
                .values(availability="available", away_automatically=False)
                .returning(StaffUser.id, StaffUser.practice_id)
            )
        ).all()
        event_ids = await _record_changes(session, back, availability="available", automatic=True)
    return event_ids


async def mark_absent_staff_away(ctx: dict[str, Any]) -> dict[str, int]:
    """Staff not seen for AWAY_AFTER become away, so assignment passes them over until they return.

    Staff never seen at all (seeded accounts, integrations) are left alone: absence needs a presence first.
    """
    domain: Domain = ctx["domain"]
    now = domain.clock.now()
    async with domain.transaction() as session:
        gone = (
            await session.execute(
                update(StaffUser)
                .where(
                    StaffUser.role.in_(BOARD_STAFF_ROLES),
                    StaffUser.availability != "away",
                    StaffUser.last_seen_at < now - AWAY_AFTER,
                )
                .values(availability="away", away_automatically=True)
                .returning(StaffUser.id, StaffUser.practice_id)
            )
        ).all()
        await _record_changes(session, gone, availability="away", automatic=True)
    return {"marked_away": len(gone)}


async def set_availability(
    domain: Domain, viewer: Viewer, *, availability: str, actor: audit.Actor
) -> ActionResult:
    """Set one's own availability (available, busy, away); assignment reads it for the next lead."""
    if availability not in AVAILABILITY:
        raise InvalidChoice(f"availability must be one of: {', '.join(AVAILABILITY)}")
    async with domain.transaction() as session:
        await session.execute(
            update(StaffUser)
            .where(StaffUser.id == viewer.user_id)
            .values(availability=availability, away_automatically=False)
        )
        audit.record(
            session,
            actor=actor,
            action="staff.availability",
            practice_id=viewer.practice_id,
            details={"availability": availability},
        )
        event_id = await record_event(
            session,
            kind="staff.availability",
            practice_id=viewer.practice_id,
            location_id=None,
            lead_id=None,
            payload={"user_id": str(viewer.user_id), "availability": availability, "automatic": False},
        )
    return ActionResult(None, event_id)
