"""The rows an inquiry writes: its touchpoint, consent record, a new lead's rows, or a merge."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import (
    AuditRecord,
    ConsentRecord,
    FunnelEvent,
    Lead,
    Location,
    Touchpoint,
)
from router.core.phi_columns import (
    CONSENT_IP,
    LEAD_DATE_OF_BIRTH,
    LEAD_EMAIL,
    LEAD_FIRST_NAME,
    LEAD_LAST_NAME,
    LEAD_PHONE,
    TOUCHPOINT_MESSAGE,
    TOUCHPOINT_REFERRED_BY,
)
from router.core.ports import LeadScore
from router.intake.assignment import (
    StaffCandidate,
)
from router.intake.commands import (
    InquiryCommand,
    IntakeResult,
)
from router.intake.matching import (
    fill_missing_contact,
)
from router.intake.normalize import TRACKING_FIELDS, ContactDetails, NormalizedInquiry
from router.intake.practice_view import PracticeView
from router.practices.sla import contact_deadline
from router.privacy import audit
from scoring.text import read_message


def touchpoint_row(
    command: InquiryCommand, inquiry: NormalizedInquiry, channel: str, domain: Domain
) -> Touchpoint:
    tracking = inquiry.tracking
    touchpoint_id = uuid.uuid4()  # generated here, so the message is sealed for this very row
    return Touchpoint(
        id=touchpoint_id,
        practice_id=command.practice_id,
        kind=command.source_kind,
        channel=channel,
        occurred_at=command.received_at,
        form_source_id=command.form_source_id,
        treatment_interest=inquiry.treatment_interest,
        last_dental_visit=inquiry.last_dental_visit,
        message_enc=domain.cipher.seal(inquiry.message, column=TOUCHPOINT_MESSAGE, row_id=touchpoint_id),
        referred_by_enc=domain.cipher.seal(
            inquiry.referred_by, column=TOUCHPOINT_REFERRED_BY, row_id=touchpoint_id
        ),
        details=_details(command, inquiry),
        **{key: tracking.get(key) for key in TRACKING_FIELDS},
    )


def says_urgent(inquiry: NormalizedInquiry) -> bool:
    """The patient names an emergency, or their message sounds urgent (the scorer's own reading)."""
    return inquiry.treatment_interest == "emergency" or read_message(inquiry.message).urgent


def _details(command: InquiryCommand, inquiry: NormalizedInquiry) -> dict[str, object]:
    """The touchpoint's non-PHI extras: the sender's, withheld fields, a patient's referral code, the
    language messages should be in (router/nurture reads it)."""
    details: dict[str, object] = dict(command.details)
    if inquiry.withheld_fields:
        details["withheld_personal_data"] = list(inquiry.withheld_fields)
    if inquiry.referral_code:
        details["referral_code"] = inquiry.referral_code
    if inquiry.language:
        details["language"] = inquiry.language
    return details


def merge_rows(
    session: AsyncSession,
    domain: Domain,
    command: InquiryCommand,
    inquiry: NormalizedInquiry,
    channel: str,
    existing: Lead,
) -> IntakeResult:
    """The inquiry as a new touchpoint of the person's open lead."""
    touchpoint = touchpoint_row(command, inquiry, channel, domain)
    touchpoint.lead_id = existing.id
    session.add(touchpoint)
    existing.touch_count += 1
    existing.last_activity_at = command.received_at
    if command.referring_physician_id and existing.referring_physician_id is None:
        existing.referring_physician_id = command.referring_physician_id
    if command.referring_office_id and existing.referring_office_id is None:
        existing.referring_office_id = command.referring_office_id
    existing.urgent = existing.urgent or command.urgent or says_urgent(inquiry)
    fill_missing_contact(existing, inquiry, domain)
    audit.record(
        session,
        actor=command.actor,
        action="lead.touch",
        practice_id=command.practice_id,
        lead_id=existing.id,
        details={"touchpoint_id": str(touchpoint.id), "source": command.source_kind},
    )
    consent_of(session, command, inquiry, existing.id, domain)
    return IntakeResult(
        status_code=200,
        body={
            "lead_id": str(existing.id),
            "status": "merged",
            "touchpoint_id": str(touchpoint.id),
            "location_id": str(existing.location_id),
            "channel": channel,
            "event": "lead.touched",
        },
        lead_id=existing.id,
    )


def new_lead_rows(
    domain: Domain,
    command: InquiryCommand,
    inquiry: NormalizedInquiry,
    channel: str,
    location: Location,
    view: PracticeView,
    staff: StaffCandidate | None,
    household_id: uuid.UUID | None,
    score: LeadScore | None,
    reasons: list[str] | None,
) -> tuple[Lead, Touchpoint, FunnelEvent, ConsentRecord | None, AuditRecord]:
    """The new lead and the rows that go with it (not yet in any session)."""
    now = command.received_at
    deadline = contact_deadline(now, location, view.settings)
    contact = inquiry.contact
    lead_id = uuid.uuid4()  # generated here, so each field is sealed for this very row
    lead = Lead(
        id=lead_id,
        practice_id=command.practice_id,
        location_id=location.id,
        household_lead_id=household_id,
        referring_physician_id=command.referring_physician_id,
        referring_office_id=command.referring_office_id,
        urgent=command.urgent or says_urgent(inquiry),
        **_sealed_contact(domain, contact, lead_id),
        zip=contact.zip,
        age_range=contact.age_range,
        treatment_interest=inquiry.treatment_interest,
        source_kind=command.source_kind,
        source_channel=channel,
        status="open",
        stage="lead",
        score=score.value if score else None,
        score_version=score.version if score else None,
        score_pooled=score.pooled if score else False,
        score_reasons=reasons or [],
        assigned_user_id=staff.id if staff else None,
        assigned_at=now if staff else None,
        received_at=now,
        sla_started_at=deadline.started_at,
        sla_due_at=deadline.due_at,
        overflow=deadline.overflow,
        escalation_level=0,
        last_activity_at=now,
        touch_count=1,
    )
    touchpoint = touchpoint_row(command, inquiry, channel, domain)
    touchpoint.lead_id = lead.id
    funnel = FunnelEvent(
        practice_id=command.practice_id,
        lead_id=lead.id,
        stage="lead",
        occurred_at=now,
        actor=command.actor.id,
    )
    record = _created_record(domain, command, inquiry, lead.id, touchpoint.id)
    return lead, touchpoint, funnel, consent_record(command, inquiry, lead.id, domain), record


def _created_record(
    domain: Domain,
    command: InquiryCommand,
    inquiry: NormalizedInquiry,
    lead_id: uuid.UUID,
    touchpoint_id: uuid.UUID,
) -> AuditRecord:
    """The new lead's audit record: who sent it, through what, and which personal fields it gave."""
    return audit.new_record(
        at=domain.clock.now(),
        actor=command.actor,
        action="lead.create",
        practice_id=command.practice_id,
        lead_id=lead_id,
        details={
            "touchpoint_id": str(touchpoint_id),
            "source": command.source_kind,
            "fields": sorted(k for k in _AUDITED_FIELDS if inquiry.fields.get(k)),
        },
    )


_AUDITED_FIELDS = ("first_name", "last_name", "phone", "email", "date_of_birth", "message")
"""The personal fields a new lead's audit record says were given (by name, never their values)."""


def _sealed_contact(domain: Domain, contact: ContactDetails, lead_id: uuid.UUID) -> dict[str, Any]:
    """A new lead's encrypted contact columns and their blind indexes."""
    cipher = domain.cipher
    return {
        "first_name_enc": cipher.seal(contact.first_name, column=LEAD_FIRST_NAME, row_id=lead_id),
        "last_name_enc": cipher.seal(contact.last_name, column=LEAD_LAST_NAME, row_id=lead_id),
        "phone_enc": cipher.seal(contact.phone, column=LEAD_PHONE, row_id=lead_id),
        "email_enc": cipher.seal(contact.email, column=LEAD_EMAIL, row_id=lead_id),
        "date_of_birth_enc": cipher.seal(
            contact.date_of_birth.isoformat() if contact.date_of_birth else None,
            column=LEAD_DATE_OF_BIRTH,
            row_id=lead_id,
        ),
        "phone_index": domain.blind_index.digest(contact.phone, kind="phone"),
        "email_index": domain.blind_index.digest(contact.email, kind="email"),
    }


def consent_of(
    session: AsyncSession,
    command: InquiryCommand,
    inquiry: NormalizedInquiry,
    lead_id: uuid.UUID,
    domain: Domain,
) -> None:
    record = consent_record(command, inquiry, lead_id, domain)
    if record is not None:
        session.add(record)


def consent_record(
    command: InquiryCommand, inquiry: NormalizedInquiry, lead_id: uuid.UUID, domain: Domain
) -> ConsentRecord | None:
    """The consent the form captured, as an immutable record (None when the form asked nothing)."""
    consent = inquiry.consent
    if consent is None:
        return None
    consent_id = uuid.uuid4()
    return ConsentRecord(
        id=consent_id,
        practice_id=command.practice_id,
        lead_id=lead_id,
        phone_index=domain.blind_index.digest(inquiry.contact.phone, kind="phone"),
        channel="sms",
        granted=consent.granted,
        disclosure_version=consent.disclosure_version,
        captured_at=consent.captured_at,
        page=consent.page,
        ip_enc=domain.cipher.seal(consent.ip, column=CONSENT_IP, row_id=consent_id),
        source=command.source_kind,
    )
