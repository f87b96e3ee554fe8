"""Playing a call's recording: only for someone who may see the lead, every play audited."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from router.core.domain import Domain
from router.core.errors import LeadNotFound
from router.core.models import Lead, PhoneCall
from router.privacy import audit
from router.privacy.access import Viewer


async def recording_for(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, call_id: uuid.UUID, *, actor: audit.Actor
) -> bytes:
    """The recording's audio from the provider; the play is audited before a byte is fetched.

    Out of scope, another lead's call, or no recording: LeadNotFound (indistinguishable, a 404).
    """
    async with domain.transaction() as session:
        row = (
            await session.execute(
                select(PhoneCall.recording_sid, Lead.practice_id)
                .join(Lead, Lead.id == PhoneCall.lead_id)
                .where(PhoneCall.id == call_id, PhoneCall.lead_id == lead_id, viewer.lead_filter())
            )
        ).first()
        if row is None or row.recording_sid is None:
            raise LeadNotFound("That recording is not in your scope, or it does not exist.")
        audit.record(
            session,
            actor=actor,
            action="lead.recording_played",
            practice_id=row.practice_id,
            lead_id=lead_id,
            details={"call_id": str(call_id)},
        )
    return await domain.phones.fetch_recording(row.recording_sid)
