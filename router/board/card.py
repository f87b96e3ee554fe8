"""A board card's contact side: phone, email, the patient's message, and whether Call and Text can go.

Kept out of the pushed row. A row goes to every board of the location on every event; the contact
side is read by the board that shows the card, once per page (the page keeps it across pushes and
asks again only when an event may have changed it), and what it says about Call and Text depends
on who is looking (their own phone for Call). Showing it is a read of PHI, audited once per lead,
viewer and hour together with the card's name (`CARD_READ_WINDOW`, via "board").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.patients import is_existing_patient
from router.core.domain import Domain
from router.core.models import Interaction, Lead, Location, StaffUser, Touchpoint
from router.core.phi_columns import LEAD_EMAIL, LEAD_PHONE, TOUCHPOINT_MESSAGE
from router.phones.send_window import texted_us_recently
from router.phones.texts import TEXT_MAX_CHARACTERS, opted_out
from router.privacy import audit
from router.privacy.access import Viewer, may_do

CARD_READ_WINDOW = timedelta(hours=1)
"""A card's PHI (name, phone, email, message) is audited once per viewer, lead and hour: enough to
answer "who saw this patient, and when" to the hour, without a row per render or reconnect."""
CARD_READ_VIA = "board"
MESSAGE_EXCERPT_CHARACTERS = 200
"""The card shows the start of the patient's message; the whole of it is on the lead's page."""


@dataclass(frozen=True)
class LastAttempt:
    """The latest call or text from the practice that did not go through, and why, in plain words."""

    kind: str
    """"call" or "text"."""
    reason: str
    at: datetime
    by: str | None


@dataclass(frozen=True)
class CardContact:
    """What the card's contact side shows to one viewer."""

    lead_id: uuid.UUID
    phone: str | None
    """E.164, for the `tel:` link (pages show it with the `phone` filter)."""
    email: str | None
    message: str | None
    message_cut: bool
    location_name: str | None
    time_zone: str
    may_call: bool
    may_text: bool
    caller_has_phone: bool
    opted_out: bool
    reply_window_open: bool
    """The patient texted within the reply window: a typed reply is not held by quiet hours."""
    last_failure: LastAttempt | None
    viewer_user_id: uuid.UUID
    existing_patient: bool = False
    """Linked to a patient with a completed visit before this inquiry (router/appointments/patients.py)."""
    text_max: int = TEXT_MAX_CHARACTERS


def _excerpt(text: str | None) -> tuple[str | None, bool]:
    if not text:
        return None, False
    text = " ".join(text.split())
    if len(text) <= MESSAGE_EXCERPT_CHARACTERS:
        return text, False
    return text[:MESSAGE_EXCERPT_CHARACTERS].rsplit(" ", 1)[0] + "…", True


FAILED_OUTCOMES = {
    "failed": "did not go through",
    "not_connected": "the patient did not answer",
    "staff_no_answer": "the staff phone was not answered",
    "blocked": "was not sent",
}
"""Outcomes of the practice's own calls and texts the card reports (the latest one only)."""


async def _last_failure(session: AsyncSession, lead_id: uuid.UUID) -> LastAttempt | None:
    """The latest outbound call or text, when it did not go through (a later success clears it)."""
    row = (
        await session.execute(
            select(
                Interaction.kind,
                Interaction.outcome,
                Interaction.details,
                Interaction.occurred_at,
                StaffUser.display_name,
            )
            .outerjoin(StaffUser, StaffUser.id == Interaction.user_id)
            .where(
                Interaction.lead_id == lead_id,
                Interaction.kind.in_(("call", "sms")),
                Interaction.details["direction"].astext == "outbound",
            )
            .order_by(Interaction.occurred_at.desc())
            .limit(1)
        )
    ).first()
    if row is None or row.outcome not in FAILED_OUTCOMES:
        return None
    kind = "text" if row.kind == "sms" else "call"
    reason = str((row.details or {}).get("error") or FAILED_OUTCOMES[row.outcome])
    return LastAttempt(kind=kind, reason=reason, at=row.occurred_at, by=row.display_name)


async def _latest_message(domain: Domain, session: AsyncSession, lead_id: uuid.UUID) -> str | None:
    row = (
        await session.execute(
            select(Touchpoint.id, Touchpoint.message_enc)
            .where(Touchpoint.lead_id == lead_id, Touchpoint.message_enc.is_not(None))
            .order_by(Touchpoint.occurred_at.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return domain.cipher.open(row.message_enc, column=TOUCHPOINT_MESSAGE, row_id=row.id)


async def load_card_contact(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor
) -> CardContact | None:
    """The card's contact side for this viewer (None when the lead is not theirs to see); audited."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        found = (
            await session.execute(
                select(Lead, Location.name, Location.time_zone)
                .outerjoin(Location, Location.id == Lead.location_id)
                .where(Lead.id == lead_id, viewer.lead_filter())
            )
        ).first()
        if found is None:
            return None
        lead, location_name, time_zone = found
        phone = domain.cipher.open(lead.phone_enc, column=LEAD_PHONE, row_id=lead.id)
        email = domain.cipher.open(lead.email_enc, column=LEAD_EMAIL, row_id=lead.id)
        message, cut = _excerpt(await _latest_message(domain, session, lead.id))
        caller = await session.scalar(select(StaffUser.phone).where(StaffUser.id == viewer.user_id))
        stopped = await opted_out(session, lead.practice_id, lead.phone_index)
        replying = bool(lead.phone_index) and await texted_us_recently(
            session, lead.practice_id, lead.phone_index or b"", now
        )
        failure = await _last_failure(session, lead.id)
        existing = await is_existing_patient(session, lead)
        await audit.record_reads_once(
            session,
            actor=actor,
            leads=[(lead.id, lead.practice_id)],
            via=CARD_READ_VIA,
            now=now,
            window=CARD_READ_WINDOW,
        )
    works = viewer.may_work(lead) and lead.status == "open"
    return CardContact(
        lead_id=lead.id,
        phone=phone,
        email=email,
        message=message,
        message_cut=cut,
        location_name=location_name,
        time_zone=time_zone or "UTC",
        may_call=works and may_do(viewer, "lead.call"),
        may_text=works and may_do(viewer, "lead.text"),
        caller_has_phone=bool(caller),
        opted_out=stopped,
        reply_window_open=replying,
        last_failure=failure,
        viewer_user_id=viewer.user_id,
        existing_patient=existing,
    )
