"""A patient's access request (HIPAA right of access): everything held about one person, in one file.

A manager or practice admin finds the person by email or phone (through the blind indexes, within
their own scope) and gets their leads, inquiries, notes, texts, calls, consents, and who read or
changed each lead when (the audit log). Producing the export is itself audited.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from router.core.domain import Domain
from router.core.errors import InvalidChoice
from router.core.models import (
    AuditRecord,
    ConsentRecord,
    Interaction,
    Lead,
    PhoneCall,
    SmsMessage,
    StaffUser,
    Touchpoint,
)
from router.core.phi_columns import (
    CONSENT_IP,
    INTERACTION_NOTE,
    LEAD_DATE_OF_BIRTH,
    LEAD_EMAIL,
    LEAD_FIRST_NAME,
    LEAD_LAST_NAME,
    LEAD_PHONE,
    SMS_BODY,
    SMS_PHONE,
    TOUCHPOINT_MESSAGE,
)
from router.intake.normalize import normalize_email, normalize_phone
from router.privacy import audit
from router.privacy.access import Viewer, require

EXPORT_VERSION = 1


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def export_person(
    domain: Domain, viewer: Viewer, *, email: str = "", phone: str = "", actor: audit.Actor
) -> dict[str, Any]:
    """Everything held about the person with this email or phone, as JSON-ready data (audited)."""
    require(viewer, "patient.export")
    indexes = []
    try:
        if email.strip():
            indexes.append(
                Lead.email_index == domain.blind_index.digest(normalize_email(email), kind="email")
            )
        if phone.strip():
            indexes.append(
                Lead.phone_index == domain.blind_index.digest(normalize_phone(phone), kind="phone")
            )
    except ValueError as exc:
        raise InvalidChoice(f"That is not a valid email address or phone number ({exc}).") from exc
    if not indexes:
        raise InvalidChoice("Give the patient's email address or phone number.")
    cipher = domain.cipher
    async with domain.transaction() as session:
        leads = (
            await session.scalars(
                select(Lead).where(viewer.work_filter(), or_(*indexes)).order_by(Lead.received_at)
            )
        ).all()
        lead_ids = [lead.id for lead in leads]
        names = dict((await session.execute(select(StaffUser.id, StaffUser.display_name))).all())
        people = []
        for lead in leads:
            people.append(
                {
                    "lead_id": str(lead.id),
                    "received_at": _when(lead.received_at),
                    "first_name": cipher.open(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id),
                    "last_name": cipher.open(lead.last_name_enc, column=LEAD_LAST_NAME, row_id=lead.id),
                    "phone": cipher.open(lead.phone_enc, column=LEAD_PHONE, row_id=lead.id),
                    "email": cipher.open(lead.email_enc, column=LEAD_EMAIL, row_id=lead.id),
                    "date_of_birth": cipher.open(
                        lead.date_of_birth_enc, column=LEAD_DATE_OF_BIRTH, row_id=lead.id
                    ),
                    "zip": lead.zip,
                    "treatment_interest": lead.treatment_interest,
                    "source": lead.source_kind,
                    "channel": lead.source_channel,
                    "status": lead.status,
                    "stage": lead.stage,
                    "close_reason": lead.close_reason,
                    "closed_at": _when(lead.closed_at),
                    "phi_purged_at": _when(lead.phi_purged_at),
                    "inquiries": await _inquiries(session, domain, lead.id),
                    "notes": [
                        {
                            "at": _when(i.occurred_at),
                            "kind": i.kind,
                            "channel": i.channel,
                            "outcome": i.outcome,
                            "by": names.get(i.user_id),
                            "note": cipher.open(i.note_enc, column=INTERACTION_NOTE, row_id=i.id),
                        }
                        for i in await _rows(
                            session, Interaction, Interaction.lead_id == lead.id, Interaction.occurred_at
                        )
                    ],
                    "texts": [
                        {
                            "at": _when(m.created_at),
                            "direction": m.direction,
                            "status": m.status,
                            "phone": cipher.open(m.phone_enc, column=SMS_PHONE, row_id=m.id),
                            "body": cipher.open(m.body_enc, column=SMS_BODY, row_id=m.id),
                        }
                        for m in await _rows(
                            session, SmsMessage, SmsMessage.lead_id == lead.id, SmsMessage.created_at
                        )
                    ],
                    "calls": [
                        {
                            "at": _when(c.created_at),
                            "direction": c.direction,
                            "status": c.status,
                            "answered_by": c.answered_by,
                            "duration_seconds": c.duration_seconds,
                            "recorded": c.recording_sid is not None,
                        }
                        for c in await _rows(
                            session, PhoneCall, PhoneCall.lead_id == lead.id, PhoneCall.created_at
                        )
                    ],
                    "consents": [
                        {
                            "captured_at": _when(c.captured_at),
                            "channel": c.channel,
                            "granted": c.granted,
                            "disclosure_version": c.disclosure_version,
                            "page": c.page,
                            "ip": cipher.open(c.ip_enc, column=CONSENT_IP, row_id=c.id),
                        }
                        for c in await _rows(
                            session,
                            ConsentRecord,
                            ConsentRecord.lead_id == lead.id,
                            ConsentRecord.captured_at,
                        )
                    ],
                    "access_log": [
                        {
                            "at": _when(r.occurred_at),
                            "who": names.get(_uuid(r.actor_id), r.actor_id)
                            if r.actor_type == "user"
                            else r.actor_id,
                            "who_kind": r.actor_type,
                            "action": r.action,
                            "via": (r.details or {}).get("via"),
                            "break_glass": (r.details or {}).get("break_glass"),
                        }
                        for r in await _rows(
                            session, AuditRecord, AuditRecord.lead_id == lead.id, AuditRecord.id
                        )
                    ],
                }
            )
        audit.record(
            session,
            actor=actor,
            action="patient.exported",
            practice_id=viewer.practice_id,
            details={"lead_ids": [str(i) for i in lead_ids], "by": "email" if email.strip() else "phone"},
        )
    return {
        "format": "leadrouter-access-request",
        "version": EXPORT_VERSION,
        "produced_at": domain.clock.now().isoformat(),
        "produced_by": viewer.display_name,
        "leads": people,
    }


async def _inquiries(session, domain: Domain, lead_id: uuid.UUID) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return [
        {
            "at": _when(t.occurred_at),
            "kind": t.kind,
            "channel": t.channel,
            "utm_source": t.utm_source,
            "utm_campaign": t.utm_campaign,
            "landing_page": t.landing_page,
            "message": domain.cipher.open(t.message_enc, column=TOUCHPOINT_MESSAGE, row_id=t.id),
        }
        for t in await _rows(session, Touchpoint, Touchpoint.lead_id == lead_id, Touchpoint.occurred_at)
    ]


async def _rows(session, model, condition, order):  # type: ignore[no-untyped-def]
    return (await session.scalars(select(model).where(condition).order_by(order))).all()


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
