"""The complaint flag: staff mark an open complaint about a patient, and no review request is asked.

Anyone at the desk may raise it (when in doubt, do not ask for a review); a manager clears it once
the complaint is resolved. Both need a short reason, kept encrypted, and both are audited. Raising it
cancels review requests still waiting in the outbox; one already handed to the provider has gone.
The flag is set on a lead and covers the patient it is linked to, and that patient's other leads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import ActionRefused, InvalidFields
from router.core.models import ComplaintFlag, Lead, LeadPatientMatch, NurtureMessage, StaffUser
from router.core.phi_columns import COMPLAINT_CLEAR_REASON, COMPLAINT_REASON
from router.leads.actions import lead_for_update
from router.privacy import audit
from router.privacy.access import Viewer

REASON_MAX = 200
"""A few words ("unhappy with the bill", "crown came loose"): the details belong in the patient's chart."""
CANCELLED_DETAIL = "not sent: a complaint about the patient was flagged"


@dataclass(frozen=True)
class ComplaintView:
    """A flag as the lead page shows it."""

    id: uuid.UUID
    reason: str | None
    raised_by: str | None
    raised_at: datetime
    cleared_at: datetime | None
    cleared_by: str | None
    clear_reason: str | None

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


def _reason(form: dict[str, str], field: str, what: str) -> str:
    reason = " ".join(str(form.get(field) or "").split())
    if not reason:
        raise InvalidFields({field: f"Say in a few words {what}."})
    if len(reason) > REASON_MAX:
        raise InvalidFields({field: f"Keep it to {REASON_MAX} characters; this has {len(reason)}."})
    return reason


async def linked_patient_id(session: AsyncSession, lead_id: uuid.UUID) -> uuid.UUID | None:
    """The patient the lead is linked to (the most recent link), if any."""
    return await session.scalar(
        select(LeadPatientMatch.patient_id)
        .where(LeadPatientMatch.lead_id == lead_id)
        .order_by(LeadPatientMatch.created_at.desc())
        .limit(1)
    )


async def open_flag(session: AsyncSession, lead: Lead) -> ComplaintFlag | None:
    """The open flag that covers this lead: its own, or its patient's (set on another of their leads)."""
    patient_id = await linked_patient_id(session, lead.id)
    linked = select(LeadPatientMatch.lead_id).where(LeadPatientMatch.patient_id == patient_id)
    about = [ComplaintFlag.lead_id == lead.id]
    if patient_id is not None:
        about += [ComplaintFlag.patient_id == patient_id, ComplaintFlag.lead_id.in_(linked)]
    return await session.scalar(
        select(ComplaintFlag)
        .where(ComplaintFlag.cleared_at.is_(None), or_(*about))
        .order_by(ComplaintFlag.raised_at.desc())
        .limit(1)
    )


async def complaint_open_for(session: AsyncSession, lead_id: uuid.UUID) -> bool:
    """Whether an open complaint covers this lead (the caller checked the viewer may see it)."""
    lead = await session.get(Lead, lead_id)
    return lead is not None and await open_flag(session, lead) is not None


async def raise_flag(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, form: dict[str, str], *, actor: audit.Actor
) -> uuid.UUID:
    """Flag an open complaint; review requests waiting in the outbox for this person are cancelled."""
    async with domain.sessionmaker() as session, session.begin():
        lead = await lead_for_update(session, viewer, lead_id, "complaint.flag")
        reason = _reason(form, "reason", "what the complaint is about")
        if await open_flag(session, lead) is not None:
            raise ActionRefused("A complaint is already open for this patient.")
        patient_id = await linked_patient_id(session, lead.id)
        flag_id = uuid.uuid4()
        session.add(
            ComplaintFlag(
                id=flag_id,
                practice_id=lead.practice_id,
                lead_id=lead.id,
                patient_id=patient_id,
                reason_enc=domain.cipher.seal(reason, column=COMPLAINT_REASON, row_id=flag_id),
                raised_by_user_id=viewer.user_id,
                raised_at=domain.clock.now(),
            )
        )
        cancelled = await _cancel_waiting_requests(session, lead.id, patient_id)
        audit.record(
            session,
            actor=actor,
            action="complaint.flagged",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details={"flag_id": str(flag_id), "review_requests_cancelled": cancelled},
        )
    return flag_id


async def _cancel_waiting_requests(
    session: AsyncSession, lead_id: uuid.UUID, patient_id: uuid.UUID | None
) -> int:
    """Review requests not yet handed to a provider (queued or held) for the lead or its patient.

    The update waits for a sender's row lock: a message the sender already marked `sending` stays
    as it is (it may have gone), one still `queued` is cancelled and the sender's claim sees that."""
    whom = [NurtureMessage.lead_id == lead_id]
    if patient_id is not None:
        whom.append(NurtureMessage.patient_id == patient_id)
    result = await session.execute(
        update(NurtureMessage)
        .where(
            NurtureMessage.purpose == "review_request",
            NurtureMessage.status.in_(("queued", "held")),
            or_(*whom),
        )
        .values(status="cancelled", detail=CANCELLED_DETAIL)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def clear_flag(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, form: dict[str, str], *, actor: audit.Actor
) -> None:
    """Clear the open complaint (resolved): later visits may be asked for a review again."""
    async with domain.sessionmaker() as session, session.begin():
        lead = await lead_for_update(session, viewer, lead_id, "complaint.clear")
        reason = _reason(form, "clear_reason", "how the complaint was resolved")
        flag = await open_flag(session, lead)
        if flag is None:
            raise ActionRefused("There is no open complaint for this patient.")
        await session.refresh(flag, with_for_update=True)
        if flag.cleared_at is not None:
            raise ActionRefused("Someone cleared this complaint a moment ago.")
        flag.cleared_at, flag.cleared_by_user_id = domain.clock.now(), viewer.user_id
        flag.clear_reason_enc = domain.cipher.seal(reason, column=COMPLAINT_CLEAR_REASON, row_id=flag.id)
        audit.record(
            session,
            actor=actor,
            action="complaint.cleared",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details={"flag_id": str(flag.id)},
        )


async def flags_for_lead(session: AsyncSession, domain: Domain, lead: Lead) -> list[ComplaintView]:
    """Every flag that covers this lead, newest first (the caller checked the viewer may see it)."""
    patient_id = await linked_patient_id(session, lead.id)
    about = [ComplaintFlag.lead_id == lead.id]
    if patient_id is not None:
        about.append(ComplaintFlag.patient_id == patient_id)
    flags = (
        await session.scalars(
            select(ComplaintFlag).where(or_(*about)).order_by(ComplaintFlag.raised_at.desc())
        )
    ).all()
    people = {
        user.id: user.display_name
        for user in await session.scalars(
            select(StaffUser).where(
                StaffUser.id.in_({f.raised_by_user_id for f in flags} | {f.cleared_by_user_id for f in flags})
            )
        )
    }
    return [
        ComplaintView(
            id=f.id,
            reason=domain.cipher.open(f.reason_enc, column=COMPLAINT_REASON, row_id=f.id),
            raised_by=people.get(f.raised_by_user_id) if f.raised_by_user_id else None,
            raised_at=f.raised_at,
            cleared_at=f.cleared_at,
            cleared_by=people.get(f.cleared_by_user_id) if f.cleared_by_user_id else None,
            clear_reason=domain.cipher.open(f.clear_reason_enc, column=COMPLAINT_CLEAR_REASON, row_id=f.id),
        )
        for f in flags
    ]
