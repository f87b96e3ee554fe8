"""The lead page's "after the visit" card: the complaint flag, review requests, patient referrals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import LeadNotFound
from router.core.models import Lead, Location, NurtureMessage, Practice
from router.privacy.access import Viewer, may_do
from router.referrals.patient_referrers import ReferredBy, referrals_made, referred_by
from router.reviews.complaints import ComplaintView, flags_for_lead, linked_patient_id

MESSAGE_WORDS = {
    "queued": "Waiting to be sent",
    "held": "Held",
    "sending": "Being sent",
    "sent": "Sent",
    "unknown": "May not have been sent",
    "failed": "Not sent",
    "bounced": "Bounced",
    "blocked": "Not sent",
    "cancelled": "Not sent",
}
PURPOSE_WORDS = {"review_request": "Review request", "thank_you": "Thank-you for a referral"}


@dataclass(frozen=True)
class CareMessage:
    what: str
    channel: str
    status: str
    detail: str | None
    at: datetime


@dataclass
class LeadCare:
    lead_id: uuid.UUID
    practice_id: uuid.UUID
    time_zone: str
    flags: list[ComplaintView]
    may_flag: bool
    may_clear: bool
    is_patient: bool
    messages: list[CareMessage] = field(default_factory=list)
    referred_by: ReferredBy | None = None
    may_see_referrer: bool = False
    referrals_made: int = 0

    @property
    def open_flag(self) -> ComplaintView | None:
        return next((f for f in self.flags if f.is_open), None)


async def _zone(session: AsyncSession, lead: Lead) -> str:
    """The lead's office's zone, else the practice's: times on the card are read there."""
    location = await session.get(Location, lead.location_id) if lead.location_id else None
    practice = await session.get(Practice, lead.practice_id)
    return (location.time_zone if location else None) or (practice.time_zone if practice else "UTC")


async def lead_care(session: AsyncSession, domain: Domain, viewer: Viewer, lead_id: uuid.UUID) -> LeadCare:
    """What the card shows; LeadNotFound outside the viewer's scope."""
    lead = await session.get(Lead, lead_id)
    if lead is None or not viewer.may_see(lead):
        raise LeadNotFound("That lead is not in your scope, or it does not exist.")
    patient_id = await linked_patient_id(session, lead.id)
    care = LeadCare(
        lead_id=lead.id,
        practice_id=lead.practice_id,
        time_zone=await _zone(session, lead),
        flags=await flags_for_lead(session, domain, lead),
        may_flag=may_do(viewer, "complaint.flag", lead),
        may_clear=may_do(viewer, "complaint.clear", lead),
        is_patient=patient_id is not None,
        may_see_referrer=may_do(viewer, "patient_referrals.view"),
    )
    for message in await session.scalars(
        select(NurtureMessage)
        .where(NurtureMessage.lead_id == lead.id, NurtureMessage.purpose.in_(tuple(PURPOSE_WORDS)))
        .order_by(NurtureMessage.created_at.desc())
    ):
        care.messages.append(
            CareMessage(
                PURPOSE_WORDS[message.purpose],
                "Email" if message.channel == "email" else "Text",
                MESSAGE_WORDS.get(message.status, message.status),
                message.detail,
                message.sent_at or message.send_after or message.created_at,
            )
        )
    care.referred_by = await referred_by(session, domain, lead)
    if patient_id is not None:
        care.referrals_made = await referrals_made(session, patient_id)
    return care
