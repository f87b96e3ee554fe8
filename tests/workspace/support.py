"""Building a lead with every kind of activity, through the product's own actions and webhooks."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from connectors.twilio.twiml import SMS_PATH
from router.core.models import Interaction, Lead, PhoneCall
from router.leads import actions
from router.leads.overflow import claim_from_queue, hand_back, record_disposition
from router.phones.calls import attach_recording, attach_transcript
from router.phones.texts import send_sms_to_lead
from router.privacy.audit import Actor
from router.privacy.auth import create_user
from tests.factories import viewer_of
from tests.phones.helpers import CALLER, form_lead, new_sid, phone_practice, post_signed, sms_params

NOTES = {
    "message": "My crown came off, can I come in this week?",
    "contact": "Spoke with her, wants Tuesday morning",
    "patient_text": "Is Tuesday at 9 still free?",
    "staff_text": "Yes, Tuesday 9:00 works. See you then!",
    "transcript": "Hi, this is Ana, please call me back about my crown",
    "call_back": "Call after her shift ends",
    "hand_back": "She asked for Dr. Chen, please confirm",
}
"""Every note and message typed into the lead's history; the lead page must show each one."""

RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b(?:lead|staff|model|practice)\.[a-z_]+\b|\b(?:in|no)-[a-z]+\b")
"""What a stored code looks like (`walk_in`, `lead.assigned`, `no-answer`): never in a page's text."""


@dataclass
class BusyLead:
    practice: Any
    lead_id: uuid.UUID
    desk: Any
    agent: Any


def visible_text(html: str) -> str:
    """A page's words as a person reads them (no tags, attributes, scripts or styles)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def busy_lead(domain: Any, client: Any, config: Any) -> BusyLead:
    """A form lead with an attempt, a contact note, texts both ways, a recorded call with a transcript,
    an overflow agent's call-back and hand-back: every kind of entry the stream shows."""
    practice = await phone_practice(
        domain, staff={"desk@bright.example": {"name": "Dana Desk"}}, records_calls=True
    )
    lead_id = await form_lead(domain, practice, phone=CALLER, message=NOTES["message"])
    desk = await viewer_of(domain, practice.staff["desk@bright.example"])
    by_desk = Actor("user", str(desk.user_id))
    await actions.log_contact_attempt(domain, desk, lead_id, outcome="no_answer", actor=by_desk)
    await actions.log_contact_made(
        domain, desk, lead_id, channel="phone", note=NOTES["contact"], actor=by_desk
    )
    await post_signed(client, config, SMS_PATH, sms_params(NOTES["patient_text"]))
    await send_sms_to_lead(domain, desk, lead_id, NOTES["staff_text"], actor=by_desk)
    await _recorded_call(domain, practice, lead_id)
    agent = await _agent(domain, practice)
    by_agent = Actor("user", str(agent.user_id))
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(Lead).where(Lead.id == lead_id).values(overflow=True))
    await claim_from_queue(domain, agent, lead_id, actor=by_agent)
    await record_disposition(
        domain,
        agent,
        lead_id,
        disposition="call_back",
        note=NOTES["call_back"],
        call_back_at="2040-01-07T18:30",
        actor=by_agent,
    )
    await claim_from_queue(domain, agent, lead_id, actor=by_agent)
    await hand_back(domain, agent, lead_id, note=NOTES["hand_back"], actor=by_agent)
    return BusyLead(practice, lead_id, desk, agent)


async def _recorded_call(domain: Any, practice: Any, lead_id: uuid.UUID) -> None:
    sid = new_sid()
    async with domain.sessionmaker() as session, session.begin():
        ringing = Interaction(
            id=uuid.uuid4(),
            lead_id=lead_id,
            practice_id=practice.practice.id,
            kind="call",
            channel="phone",
            outcome="ringing",
            occurred_at=domain.clock.now(),
        )
        session.add(ringing)
        await session.flush([ringing])
        session.add(
            PhoneCall(
                interaction_id=ringing.id,
                call_sid=sid,
                practice_id=practice.practice.id,
                lead_id=lead_id,
                location_id=practice.locations["downtown"].id,
                direction="inbound",
                status="completed",
                status_rank=4,
                duration_seconds=75,
                created_at=domain.clock.now(),
                updated_at=domain.clock.now(),
            )
        )
    await attach_recording(
        domain,
        call_sid=sid,
        recording_sid="RE" + "1" * 32,
        recording_url="https://api.twilio.com/x",
        duration=40,
    )
    await attach_transcript(domain, call_sid=sid, transcription_sid="TR" + "1" * 32, text=NOTES["transcript"])


async def _agent(domain: Any, practice: Any) -> Any:
    async with domain.sessionmaker() as session, session.begin():
        agent = await create_user(
            session,
            email="hana@overflow.example",
            display_name="Hana Ito",
            password="correct horse battery",
            role="overflow_agent",
            call_center_id=practice.call_center.id,
        )
    return await viewer_of(domain, agent)
