"""What a lead did since joining a sequence, for its branches: opened, clicked, visited, replied, answered.

Opens come from a pixel that many mail apps block or fetch on their own (Apple Mail Privacy
Protection opens everything): an "opened" branch is a hint, never proof, and the page says so.
"""

from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import NurtureEnrolment, NurtureMessage, PhoneCall, SmsMessage, Touchpoint

BEHAVIOURS = {
    "opened": "Opened an email (unreliable: many mail apps block or pre-fetch the pixel)",
    "clicked": "Clicked a link in a message",
    "visited": "Visited the scheduling page",
    "replied": "Replied by text or email",
    "answered": "Answered a call",
}


async def did(
    session: AsyncSession, enrolment: NurtureEnrolment, behaviour: str, scheduling_url: str | None
) -> bool:
    """Whether the lead showed `behaviour` since enrolling."""
    since = enrolment.enrolled_at
    lead_id = enrolment.lead_id
    if behaviour in ("opened", "clicked"):
        column = NurtureMessage.opened_at if behaviour == "opened" else NurtureMessage.clicked_at
        condition = exists().where(NurtureMessage.enrolment_id == enrolment.id, column.is_not(None))
    elif behaviour == "replied":
        texted = exists().where(
            SmsMessage.lead_id == lead_id, SmsMessage.direction == "inbound", SmsMessage.created_at >= since
        )
        emailed = exists().where(NurtureMessage.lead_id == lead_id, NurtureMessage.replied_at >= since)
        condition = or_(texted, emailed)
    elif behaviour == "answered":
        condition = exists().where(PhoneCall.lead_id == lead_id, PhoneCall.answered_at >= since)
    elif behaviour == "visited":
        visitors = select(Touchpoint.visitor_id).where(
            Touchpoint.lead_id == lead_id, Touchpoint.visitor_id.is_not(None)
        )
        condition = exists().where(
            Touchpoint.practice_id == enrolment.practice_id,
            Touchpoint.kind == "web_visit",
            Touchpoint.visitor_id.in_(visitors),
            Touchpoint.occurred_at >= since,
            *([Touchpoint.landing_page.startswith(scheduling_url)] if scheduling_url else []),
        )
    else:
        return False
    return bool(await session.scalar(select(condition)))
