"""Walk-ins and phone inquiries typed in at the desk: the person is already talking to the practice.

Such a lead goes through the same intake as every webhook (dedupe, merge, score), and in the same
breath is recorded as contacted (through `record_first_contact`, by the person who typed it in) and
claimed and assigned to them: no countdown, no escalation, no new-lead alert on the boards.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from router.core.domain import Domain
from router.core.errors import InvalidChoice, NotPermitted
from router.core.events import record_lead_event
from router.core.models import Interaction, Lead, Location
from router.intake.pipeline import InquiryCommand, IntakeResult, announce_intake, store_inquiry
from router.leads.first_contact import record_first_contact
from router.privacy import audit
from router.privacy.access import PRACTICE_ADMIN, Viewer, require

HAND_ENTRY_KINDS = ("walk_in", "phone")
CONTACT_CHANNEL = {"walk_in": "in_person", "phone": "phone"}
"""How the person who typed the lead in is talking to them."""


async def add_lead_by_hand(
    domain: Domain,
    viewer: Viewer,
    *,
    kind: str,
    location_id: uuid.UUID,
    fields: Mapping[str, Any],
    nonce: str,
    actor: audit.Actor,
) -> IntakeResult:
    """A walk-in or phone inquiry typed in at the desk, contacted and claimed by whoever typed it.

    The form's one-time nonce is the idempotency key, so a double submit stores one lead.
    """
    require(viewer, "lead.add_by_hand")
    if kind not in HAND_ENTRY_KINDS:
        raise InvalidChoice(f"the kind of inquiry must be one of: {', '.join(HAND_ENTRY_KINDS)}")
    if viewer.practice_id is None or not await _works_at(domain, viewer, location_id):
        raise NotPermitted("You can only add leads at your own locations.")
    if not nonce or len(nonce) > 100:
        raise InvalidChoice("The form is missing its one-time key; reload the board and try again.")
    clean = {key: value for key, value in fields.items() if value not in (None, "")}
    command = InquiryCommand(
        practice_id=viewer.practice_id,
        source_kind=kind,
        fields=clean,
        received_at=domain.clock.now(),
        actor=actor,
        idempotency_scope=f"board:{viewer.user_id}",
        idempotency_key=nonce,
        request_sha256=hashlib.sha256(json.dumps(clean, sort_keys=True).encode()).digest(),
        default_location_id=location_id,
        channel=None if clean.get("referred_by") else kind,  # a patient's referral is its own channel
    )
    result = await store_inquiry(domain, command)
    if result.lead_id is not None and not result.replayed:
        await _taken_at_the_desk(
            domain, viewer, result.lead_id, kind=kind, at=command.received_at, actor=actor
        )
    await announce_intake(domain, viewer.practice_id, result)
    return result


async def _taken_at_the_desk(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, kind: str, at: datetime, actor: audit.Actor
) -> None:
    """Contacted when typed in, by this person; claimed and assigned to them (unless someone holds it).
    Its event rings the boards when the transaction commits."""
    now = at
    async with domain.transaction() as session:
        lead = await session.scalar(select(Lead).where(Lead.id == lead_id).with_for_update())
        if lead is None or lead.status != "open":
            return
        if lead.claimed_by_user_id is None:
            lead.claimed_by_user_id, lead.claimed_at = viewer.user_id, now
            lead.assigned_user_id, lead.assigned_at = viewer.user_id, now
        first = await record_first_contact(
            session, lead, now, "board", user_id=viewer.user_id, actor=actor.id
        )
        session.add(
            Interaction(
                id=uuid.uuid4(),
                lead_id=lead.id,
                practice_id=lead.practice_id,
                kind="contact_made",
                channel=CONTACT_CHANNEL[kind],
                outcome="reached",
                user_id=viewer.user_id,
                occurred_at=now,
                details={"entered_by_hand": kind},
            )
        )
        audit.record(
            session,
            actor=actor,
            action="lead.contact",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details={"channel": CONTACT_CHANNEL[kind], "first": first, "entered_by_hand": True},
        )
        await record_lead_event(
            session, lead, "lead.contacted", {"channel": CONTACT_CHANNEL[kind], "first": first}
        )


async def _works_at(domain: Domain, viewer: Viewer, location_id: uuid.UUID) -> bool:
    """Whether the location is one of the viewer's own (a practice admin's: any of their practice's)."""
    if location_id in viewer.location_ids:
        return True
    if viewer.role != PRACTICE_ADMIN:
        return False
    async with domain.sessionmaker() as session:
        found = await session.scalar(
            select(Location.id).where(Location.id == location_id, Location.practice_id == viewer.practice_id)
        )
    return found is not None
