"""A lead's activity stream: every inquiry, note, attempt, contact, text, call, claim, escalation,
hand-back, booking and close, oldest first, in the practice's words.

The caller has already decided the viewer may see the lead and audited the read (`get_lead`): this
decrypts the notes, messages and transcripts of that one lead for the page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.views import pms_badge, practice_books_into_pms
from router.core.domain import Domain
from router.core.models import (
    Appointment,
    DomainEvent,
    Interaction,
    Location,
    ManagerAlert,
    PhoneCall,
    Provider,
    SmsMessage,
    StaffUser,
    Touchpoint,
)
from router.core.phi_columns import INTERACTION_NOTE, SMS_BODY, TOUCHPOINT_MESSAGE
from router.core.words import words

SHOWN_EVENTS = (
    "lead.assigned",
    "lead.claimed",
    "lead.released",
    "lead.escalated",
    "lead.overflowed",
    "lead.deadline_changed",
    "lead.call_back_due",
)
"""Events that say something no row below says; the rest (closed, contacted...) have their own rows."""
SHOWN_BY_THEIR_OWN_ROWS = ("sms", "call")
"""Interaction kinds shown from the text and call rows, which say more (the body, the recording)."""


@dataclass(frozen=True)
class ActivityEntry:
    """One thing that happened, ready to show (the body may be PHI: the page's read is audited)."""

    at: datetime
    kind: str
    """The entry's look: inquiry, note, attempt, contact, text_in, text_out, call, claim, escalation,
    handback, booking, close, disposition, event."""
    title: str
    by: str | None = None
    body: str | None = None
    detail: str | None = None
    call_id: uuid.UUID | None = None
    """A call with a recording: the page links to the authenticated player."""
    due_at: datetime | None = None
    """A "call back at" time, shown in the location's zone."""
    badge: str | None = None
    """A booking's place in the practice system ("pending in PMS"), with `badge_tone` its colour."""
    badge_tone: str | None = None


async def activity_stream(
    session: AsyncSession, domain: Domain, lead_id: uuid.UUID, *, zone: str | None
) -> list[ActivityEntry]:
    """Every entry of the lead's stream, oldest first."""
    names = await _staff_names(session, lead_id)
    entries = [
        *await _inquiries(session, domain, lead_id),
        *await _interactions(session, domain, lead_id, names),
        *await _texts(session, domain, lead_id, names),
        *await _calls(session, domain, lead_id, names),
        *await _events(session, lead_id, names),
        *await _alerts(session, lead_id),
        *await _appointments(session, lead_id, names, zone),
    ]
    entries.sort(key=lambda entry: entry.at)
    return entries


async def _staff_names(session: AsyncSession, lead_id: uuid.UUID) -> dict[str, str]:
    """Names of the staff who appear in the lead's stream (ids as strings, as event payloads hold them)."""
    row_users = union(
        select(Interaction.user_id).where(Interaction.lead_id == lead_id),
        select(SmsMessage.user_id).where(SmsMessage.lead_id == lead_id),
        select(PhoneCall.staff_user_id).where(PhoneCall.lead_id == lead_id),
        select(Appointment.booked_by_user_id).where(Appointment.lead_id == lead_id),
    ).subquery()
    payloads = await session.scalars(
        select(DomainEvent.payload).where(DomainEvent.lead_id == lead_id, DomainEvent.kind.in_(SHOWN_EVENTS))
    )
    event_users = {_user_id(p.get(key)) for p in payloads for key in ("user_id", "by")} - {None}
    rows = await session.execute(
        select(StaffUser.id, StaffUser.display_name).where(
            or_(StaffUser.id.in_(select(row_users.c[0])), StaffUser.id.in_(event_users))
        )
    )
    return {str(user_id): name for user_id, name in rows}


def _user_id(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


async def _inquiries(session: AsyncSession, domain: Domain, lead_id: uuid.UUID) -> list[ActivityEntry]:
    touchpoints = await session.scalars(select(Touchpoint).where(Touchpoint.lead_id == lead_id))
    return [
        ActivityEntry(
            t.occurred_at,
            "inquiry",
            f"{words(t.kind, 'source')} · {words(t.channel, 'channel')}",
            body=domain.cipher.open(t.message_enc, column=TOUCHPOINT_MESSAGE, row_id=t.id),
            detail=" / ".join(filter(None, [t.utm_source, t.utm_campaign])) or None,
        )
        for t in touchpoints
    ]


def _interaction_title(interaction: Interaction) -> tuple[str, str]:
    """The entry's look and title for an interaction row."""
    kind, outcome, channel = interaction.kind, interaction.outcome, interaction.channel
    if kind == "contact_attempt":
        return "attempt", f"Tried to reach them: {words(outcome, 'outcome').lower()}"
    if kind == "contact_made":
        return "contact", f"Reached the patient ({words(channel, 'channel').lower()})"
    if kind == "closed":
        return "close", f"Closed: {words(outcome, 'close_reason')}"
    if kind == "disposition":
        return "disposition", f"Overflow agent's call: {words(outcome, 'outcome').lower()}"
    if kind == "handback":
        return "handback", "Handed back to the practice"
    if kind == "note":
        return "note", "Note"
    if kind == "pms_update":
        return "event", f"Practice system: appointment {words(outcome, 'appointment_status').lower()}"
    title = words(kind, "interaction")
    return "event", f"{title}: {words(outcome, 'outcome')}" if outcome else title


async def _interactions(
    session: AsyncSession, domain: Domain, lead_id: uuid.UUID, names: dict[str, str]
) -> list[ActivityEntry]:
    rows = await session.scalars(
        select(Interaction).where(
            Interaction.lead_id == lead_id, Interaction.kind.not_in(SHOWN_BY_THEIR_OWN_ROWS)
        )
    )
    entries = []
    for row in rows:
        look, title = _interaction_title(row)
        due = (row.details or {}).get("call_back_at")
        entries.append(
            ActivityEntry(
                row.occurred_at,
                look,
                title,
                by=names.get(str(row.user_id)) if row.user_id else None,
                body=domain.cipher.open(row.note_enc, column=INTERACTION_NOTE, row_id=row.id),
                due_at=datetime.fromisoformat(due) if due else None,
            )
        )
    return entries


async def _texts(
    session: AsyncSession, domain: Domain, lead_id: uuid.UUID, names: dict[str, str]
) -> list[ActivityEntry]:
    messages = await session.scalars(select(SmsMessage).where(SmsMessage.lead_id == lead_id))
    entries = []
    for message in messages:
        inbound = message.direction == "inbound"
        who = None if inbound else (names.get(str(message.user_id)) if message.user_id else None)
        status = words(message.status, "sms_status")
        if not inbound and message.error_code:
            status = f"{status} (the provider's code {message.error_code})"
        entries.append(
            ActivityEntry(
                message.created_at,
                "text_in" if inbound else "text_out",
                "Text from the patient" if inbound else ("Automatic text" if message.automated else "Text"),
                by=who,
                body=domain.cipher.open(message.body_enc, column=SMS_BODY, row_id=message.id),
                detail=None if inbound else status,
            )
        )
    return entries


async def _calls(
    session: AsyncSession, domain: Domain, lead_id: uuid.UUID, names: dict[str, str]
) -> list[ActivityEntry]:
    rows = await session.execute(
        select(PhoneCall, Interaction)
        .outerjoin(Interaction, Interaction.id == PhoneCall.interaction_id)
        .where(PhoneCall.lead_id == lead_id)
    )
    entries = []
    for call, interaction in rows:
        parts = [words(call.status, "call_status")]
        if call.duration_seconds:
            parts.append(f"{call.duration_seconds // 60} min {call.duration_seconds % 60} s")
        transcript = (
            domain.cipher.open(interaction.note_enc, column=INTERACTION_NOTE, row_id=interaction.id)
            if interaction is not None
            else None
        )
        entries.append(
            ActivityEntry(
                call.created_at,
                "call",
                words(call.direction, "call_direction"),
                by=names.get(str(call.staff_user_id)) if call.staff_user_id else None,
                body=transcript,
                detail=" · ".join(parts),
                call_id=call.id if call.recording_sid else None,
            )
        )
    return entries


def _event_by(payload: dict[str, Any], names: dict[str, str]) -> str | None:
    user = payload.get("user_id") or payload.get("by")
    return names.get(str(user)) if user else None


async def _events(session: AsyncSession, lead_id: uuid.UUID, names: dict[str, str]) -> list[ActivityEntry]:
    events = await session.scalars(
        select(DomainEvent).where(DomainEvent.lead_id == lead_id, DomainEvent.kind.in_(SHOWN_EVENTS))
    )
    entries = []
    for event in events:
        payload = event.payload or {}
        title = words(event.kind, "event")
        if event.kind == "lead.assigned" and payload.get("user_id"):
            title = f"Assigned to {names.get(str(payload['user_id']), 'a colleague')}"
        look = {"lead.claimed": "claim", "lead.escalated": "escalation", "lead.call_back_due": "due"}
        entries.append(
            ActivityEntry(
                event.created_at, look.get(event.kind, "event"), title, by=_event_by(payload, names)
            )
        )
    return entries


async def _alerts(session: AsyncSession, lead_id: uuid.UUID) -> list[ActivityEntry]:
    alerts = await session.scalars(select(ManagerAlert).where(ManagerAlert.lead_id == lead_id))
    entries = []
    for alert in alerts:
        told = ", ".join(
            f"{words(d['channel'], 'channel')}: {words(d['status'], 'alert_status').lower()}"
            for d in alert.deliveries
        )
        title = "Managers alerted" if alert.level <= 1 else f"Managers alerted again (level {alert.level})"
        if alert.call_task_id is not None:
            title = "Managers alerted: the follow-up call is overdue"
        entries.append(ActivityEntry(alert.created_at, "escalation", title, detail=told or None))
    return entries


async def _appointments(
    session: AsyncSession, lead_id: uuid.UUID, names: dict[str, str], zone: str | None
) -> list[ActivityEntry]:
    rows = await session.execute(
        select(Appointment, Location.name, Provider.name)
        .join(Location, Location.id == Appointment.location_id)
        .outerjoin(Provider, Provider.id == Appointment.provider_id)
        .where(Appointment.lead_id == lead_id)
    )
    entries = []
    books_into_pms = await practice_books_into_pms(session, lead_id)
    for appointment, office, provider in rows:
        where = " with ".join(filter(None, [office, provider]))
        badge = pms_badge(appointment, books_into_pms=books_into_pms)
        entries.append(
            ActivityEntry(
                appointment.created_at,
                "booking",
                f"Appointment {words(appointment.status, 'appointment_status').lower()} at {where}",
                by=names.get(str(appointment.booked_by_user_id)) if appointment.booked_by_user_id else None,
                detail=" · ".join(
                    filter(
                        None,
                        [f"Booked through {words(appointment.source, 'appointment_source')}", badge.problem],
                    )
                )
                if badge
                else f"Booked through {words(appointment.source, 'appointment_source')}",
                due_at=appointment.starts_at,
                badge=badge.words if badge else None,
                badge_tone=badge.tone if badge else None,
            )
        )
    return entries
