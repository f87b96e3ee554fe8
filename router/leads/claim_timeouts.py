"""Claims nobody acted on: a claimed lead not contacted within the practice's timeout returns to the queue."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from router.core.domain import Domain
from router.core.events import record_event
from router.core.models import Lead, Practice
from router.practices.settings import PracticeSettings
from router.privacy import audit

log = logging.getLogger("leadrouter.claims")

SHORTEST_CLAIM_TIMEOUT = timedelta(minutes=1)
"""No practice setting is below a minute, so claims younger than this are never read."""
SWEEPER = audit.Actor.system("claim-timeout")


async def release_stale_claims(ctx: dict[str, Any]) -> dict[str, int]:
    """Return to the queue every claimed, uncontacted open lead older than its practice's timeout."""
    domain: Domain = ctx["domain"]
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        candidates = (
            await session.execute(
                select(Lead.id, Lead.claimed_by_user_id, Lead.claimed_at, Practice.settings)
                .join(Practice, Practice.id == Lead.practice_id)
                .where(
                    Lead.status == "open",
                    Lead.claimed_by_user_id.is_not(None),
                    Lead.first_contact_at.is_(None),
                    Lead.claimed_at <= now - SHORTEST_CLAIM_TIMEOUT,
                )
            )
        ).all()
    released = 0
    for lead_id, holder, claimed_at, settings in candidates:
        timeout = timedelta(minutes=PracticeSettings.from_json(settings).claim_timeout_minutes)
        if claimed_at + timeout <= now and await _release(domain, lead_id, holder, claimed_at):
            released += 1
    return {"checked": len(candidates), "released": released}


async def _release(domain: Domain, lead_id: uuid.UUID, holder: uuid.UUID, claimed_at: datetime) -> bool:
    """Release only the very claim that timed out (a fresh claim or a contact in between wins)."""
    async with domain.transaction() as session:
        row = (
            await session.execute(
                update(Lead)
                .where(
                    Lead.id == lead_id,
                    Lead.status == "open",
                    Lead.claimed_by_user_id == holder,
                    Lead.claimed_at == claimed_at,
                    Lead.first_contact_at.is_(None),
                )
                .values(claimed_by_user_id=None, claimed_at=None)
                .returning(Lead.practice_id, Lead.location_id)
            )
        ).first()
        if row is None:
            return False
        details = {"previous_user_id": str(holder), "reason": "claim_timeout"}
        audit.record(
            session,
            actor=SWEEPER,
            action="lead.release",
            practice_id=row.practice_id,
            lead_id=lead_id,
            details=details,
        )
        await record_event(
            session,
            kind="lead.released",
            practice_id=row.practice_id,
            location_id=row.location_id,
            lead_id=lead_id,
            payload=details,
        )
    log.info("claim on lead %s by %s timed out", lead_id, holder)
    return True
