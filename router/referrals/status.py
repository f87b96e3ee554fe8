"""What a referrer sees of their referrals: the patient, the status in plain words, the outcome reports.

A referral's status follows its lead: the funnel stage the lead reached (from the board's events
today, from the practice-management system once it is connected), or its closing, told with a
reason a physician may see. Every referral shown is a PHI read, audited like a board row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Lead, Location, Practice, Referral, ReferralAttachment, ReferralReport
from router.core.phi_columns import (
    LEAD_FIRST_NAME,
    LEAD_LAST_NAME,
    REFERRAL_CLINICAL_NOTES,
    REFERRAL_FILE_NAME,
    REFERRAL_REASON,
)
from router.privacy import audit
from router.privacy.access import Viewer

REFERRAL_LIST_SIZE = 200
"""Referrals the portal lists, newest first: a busy office sends a few a day; older ones are in reports."""

STAGE_STATUS = {
    "treatment_completed": "Treatment completed",
    "treatment_accepted": "Treatment accepted",
    "appointment_completed": "Seen",
    "appointment_scheduled": "Scheduled",
    "contacted": "Contacted",
}
"""Funnel stages as a referrer reads them, furthest first."""
STATUS_STEPS = ("Received", "Contacted", "Scheduled", "Seen", "Treatment accepted", "Treatment completed")
CLOSED_WORDS = {
    "not_interested": "the patient chose not to book",
    "existing_patient": "already a patient of the practice",
    "spam": "the practice could not reach the patient",
    "wrong_number": "the practice could not reach the patient",
    "duplicate": "sent twice; the other referral is followed",
}
"""Why a referral closed, in words a referring physician may see (no clinical detail)."""
REPORTED_STAGES = ("appointment_completed", "treatment_accepted", "treatment_completed")


def status_of(lead: Lead | None) -> str:
    """The referral's status in plain words."""
    if lead is None:
        return "Received"
    if lead.stage in STAGE_STATUS and lead.stage != "contacted":
        return STAGE_STATUS[lead.stage]
    if lead.status == "closed" and lead.close_reason != "appointment_booked":
        return f"Closed: {CLOSED_WORDS.get(lead.close_reason or '', 'closed by the practice')}"
    if lead.first_contact_at is not None or lead.stage == "contacted":
        return "Contacted"
    return "Received"


@dataclass(frozen=True)
class OutcomeReport:
    stage: str
    words: str
    occurred_at: datetime
    provider_name: str | None


@dataclass(frozen=True)
class ReferralRow:
    """One referral as its referrer sees it."""

    id: uuid.UUID
    practice_name: str
    location_name: str | None
    patient: str
    urgency: str
    submitted_at: datetime
    status: str
    step: int
    """How far along `STATUS_STEPS` it is (-1 when closed)."""
    reports: tuple[OutcomeReport, ...]
    zone: str

    def local(self, moment: datetime) -> str:
        """A time in the practice's zone, as the portal shows it: "Dec 4, 3:05 PM CST"."""
        shown = moment.astimezone(ZoneInfo(self.zone))
        return f"{shown:%b} {shown.day}, {shown:%I:%M %p %Z}".replace(" 0", " ")


async def _reports(
    session: AsyncSession, referral_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[OutcomeReport]]:
    found: dict[uuid.UUID, list[OutcomeReport]] = defaultdict(list)
    if not referral_ids:
        return found
    rows = await session.scalars(
        select(ReferralReport)
        .where(ReferralReport.referral_id.in_(referral_ids))
        .order_by(ReferralReport.occurred_at)
    )
    for report in rows:
        found[report.referral_id].append(
            OutcomeReport(report.stage, STAGE_STATUS[report.stage], report.occurred_at, report.provider_name)
        )
    return found


def _patient(domain: Domain, lead: Lead | None) -> str:
    if lead is None or lead.phi_purged_at is not None:
        return "(patient details removed)" if lead is not None else "(being received)"
    first = domain.cipher.open(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id)
    last = domain.cipher.open(lead.last_name_enc, column=LEAD_LAST_NAME, row_id=lead.id)
    return " ".join(p for p in (first, last) if p) or "(no name given)"


async def referrals_for(
    session: AsyncSession, domain: Domain, viewer: Viewer, *, actor: audit.Actor
) -> list[ReferralRow]:
    """The viewer's referrals, newest first (nothing for anyone but their referrers)."""
    rows = (
        await session.execute(
            select(Referral, Lead, Practice.name, Practice.time_zone, Location.name)
            .join(Practice, Practice.id == Referral.practice_id)
            .outerjoin(Lead, Lead.id == Referral.lead_id)
            .outerjoin(Location, Location.id == Lead.location_id)
            .where(viewer.referral_filter())
            .order_by(Referral.submitted_at.desc())
            .limit(REFERRAL_LIST_SIZE)
        )
    ).all()
    reports = await _reports(session, [row[0].id for row in rows])
    shown = []
    for referral, lead, practice_name, zone, location_name in rows:
        status = status_of(lead)
        shown.append(
            ReferralRow(
                id=referral.id,
                practice_name=practice_name,
                location_name=location_name,
                patient=_patient(domain, lead),
                urgency=referral.urgency,
                submitted_at=referral.submitted_at,
                status=status,
                step=STATUS_STEPS.index(status) if status in STATUS_STEPS else -1,
                reports=tuple(reports.get(referral.id, ())),
                zone=zone,
            )
        )
        if lead is not None:
            audit.record_read(
                session, actor=actor, practice_id=referral.practice_id, lead_id=lead.id, via="referrals"
            )
    return shown


@dataclass(frozen=True)
class ReferralSummary:
    """A referral as the practice's staff see it on the lead's page."""

    referral_id: uuid.UUID
    physician: str | None
    office: str | None
    urgency: str
    reason: str | None
    clinical_notes: str | None
    submitted_at: datetime
    files: tuple[tuple[uuid.UUID, str, str, int], ...]
    """(id, file name, media type, size in bytes) of each attachment."""
    status: str


async def referral_for_lead(
    session: AsyncSession, domain: Domain, viewer: Viewer, lead_id: uuid.UUID
) -> ReferralSummary | None:
    """The referral behind a lead, for its page (None when the lead is not a referral or not theirs).

    The lead page includes this; the caller audits the page's read as it does for the lead itself.
    """
    from router.core.models import ReferringOffice, StaffUser

    lead = await session.get(Lead, lead_id)
    if lead is None or not viewer.may_see(lead):
        return None
    referral = await session.scalar(
        select(Referral).where(Referral.lead_id == lead_id).order_by(Referral.submitted_at.desc()).limit(1)
    )
    if referral is None:
        return None
    physician = (
        await session.get(StaffUser, referral.referring_physician_id)
        if referral.referring_physician_id
        else None
    )
    office = (
        await session.get(ReferringOffice, referral.referring_office_id)
        if referral.referring_office_id
        else None
    )
    files = (
        await session.scalars(
            select(ReferralAttachment)
            .where(ReferralAttachment.referral_id == referral.id)
            .order_by(ReferralAttachment.created_at)
        )
    ).all()
    cipher = domain.cipher
    return ReferralSummary(
        referral_id=referral.id,
        physician=physician.display_name if physician else None,
        office=office.name if office else None,
        urgency=referral.urgency,
        reason=cipher.open(referral.reason_enc, column=REFERRAL_REASON, row_id=referral.id),
        clinical_notes=cipher.open(
            referral.clinical_notes_enc, column=REFERRAL_CLINICAL_NOTES, row_id=referral.id
        ),
        submitted_at=referral.submitted_at,
        files=tuple(
            (
                f.id,
                cipher.open(f.file_name_enc, column=REFERRAL_FILE_NAME, row_id=f.id) or "",
                f.media_type,
                f.size_bytes,
            )
            for f in files
        ),
        status=status_of(lead),
    )
