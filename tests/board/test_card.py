"""A card's contact side: what it shows, who may read it, how often reading it is audited, and
walk-ins typed in at the desk (contacted and claimed by whoever typed them in)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from router.core.clock import FrozenClock
from router.core.models import AuditRecord, ConsentRecord, Interaction, Lead, StaffUser
from router.leads.desk_entry import add_lead_by_hand
from router.privacy.audit import Actor
from tests.board.helpers import new_lead, signed_in_page
from tests.factories import make_practice, open_staff_session, viewer_of

pytestmark = pytest.mark.integration

LONG_MESSAGE = "My crown came off last night and it hurts when I chew. " * 6


async def board_reads(domain, lead_id):
    async with domain.sessionmaker() as session:
        rows = await session.scalars(
            select(AuditRecord).where(AuditRecord.lead_id == lead_id, AuditRecord.action == "lead.read")
        )
        return [row for row in rows if row.details.get("via") == "board"]


async def test_the_card_shows_phone_email_message_and_office_and_is_audited_once_an_hour(client, domain):
    clock = FrozenClock(datetime(2026, 6, 2, 17, 0, tzinfo=UTC))
    domain.clock = clock
    practice = await make_practice(domain, staff={"ana@bright.example": {"name": "Ana Ruiz"}})
    elsewhere = await make_practice(domain, slug="lakeside", staff={"eve@lake.example": {"name": "Eve"}})
    lead_id = await new_lead(
        domain, practice, phone="(512) 555-0142", email="maria@example.com", message=LONG_MESSAGE
    )
    foreign = await new_lead(domain, elsewhere)
    ana = practice.staff["ana@bright.example"]

    page, _ = await signed_in_page(client, await open_staff_session(domain, ana))
    assert f'hx-get="/board/leads/{lead_id}/contact"' in page.text
    assert "555-0142" not in page.text and "maria@example.com" not in page.text  # not in the pushed row
    side = await client.get(f"/board/leads/{lead_id}/contact")
    assert side.status_code == 200
    assert '<a class="contact-phone" href="tel:+15125550142">(512) 555-0142</a>' in side.text
    assert 'href="mailto:maria@example.com"' in side.text
    excerpt = re.search(r'<blockquote class="patient-message">(.*?) <a href', side.text, re.S).group(1)
    assert excerpt.startswith("My crown came off") and len(excerpt) <= 201 and excerpt.endswith("…")
    assert f'href="/leads/{lead_id}">Read all' in side.text
    assert next(iter(practice.locations.values())).name in page.text  # the office: on the row itself
    assert f'hx-post="/phone/leads/{lead_id}/sms"' in side.text
    assert (await client.get(f"/board/leads/{foreign}/contact")).status_code == 404

    await client.get(f"/board/leads/{lead_id}/contact")
    await client.get("/")
    assert len(await board_reads(domain, lead_id)) == 1  # page, card and refreshes within the hour: one
    clock.advance(timedelta(minutes=61))
    await signed_in_page(client, await open_staff_session(domain, ana))
    await client.get(f"/board/leads/{lead_id}/contact")
    reads = await board_reads(domain, lead_id)
    assert len(reads) == 2 and {row.actor_id for row in reads} == {str(ana.id)}


async def test_call_and_text_explain_why_they_cannot_go(client, domain):
    practice = await make_practice(domain, staff={"ana@bright.example": {"name": "Ana Ruiz"}})
    ana = practice.staff["ana@bright.example"]
    lead_id = await new_lead(domain, practice, phone="(512) 555-0143")
    no_phone = await new_lead(domain, practice, phone=None, sms_consent=None, email="only.mail@example.com")
    async with domain.sessionmaker() as session, session.begin():
        lead = await session.get(Lead, lead_id)
        session.add(
            ConsentRecord(
                practice_id=lead.practice_id,
                lead_id=lead.id,
                phone_index=lead.phone_index,
                channel="sms",
                granted=False,
                captured_at=domain.clock.now() + timedelta(seconds=1),
                source="sms_keyword",
            )
        )
    _, headers = await signed_in_page(client, await open_staff_session(domain, ana))
    side = (await client.get(f"/board/leads/{lead_id}/contact")).text
    assert re.search(r'<button type="button" class="text" disabled', side) and "opted out" in side
    assert re.search(r'<button type="button" class="call" disabled', side) and "Staff screen" in side
    bare = (await client.get(f"/board/leads/{no_phone}/contact")).text
    assert "No phone number: reach them by email" in bare and "/call" not in bare

    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(StaffUser).where(StaffUser.id == ana.id).values(phone="+15125550177"))
    side = (await client.get(f"/board/leads/{lead_id}/contact")).text
    assert f'hx-post="/phone/leads/{lead_id}/call"' in side

    empty = await client.post(f"/phone/leads/{lead_id}/sms", data={"body": "  "}, headers=headers)
    assert empty.status_code == 422 and empty.json()["errors"] == [
        {"field": "body", "message": "Write the message first."}
    ]
    long = await client.post(f"/phone/leads/{lead_id}/sms", data={"body": "x" * 1601}, headers=headers)
    assert long.status_code == 422 and "at most 1,600 characters" in long.json()["errors"][0]["message"]


async def test_a_walk_in_is_contacted_and_claimed_by_whoever_typed_it_in(domain):
    practice = await make_practice(
        domain, staff={"ana@bright.example": {"name": "Ana Ruiz"}, "ben@bright.example": {"name": "Ben Cho"}}
    )
    ana = await viewer_of(domain, practice.staff["ana@bright.example"])
    location_id = next(iter(practice.locations.values())).id
    result = await add_lead_by_hand(
        domain,
        ana,
        kind="walk_in",
        location_id=location_id,
        fields={"first_name": "Walk", "last_name": "In", "phone": "(512) 555-0147"},
        nonce="walk-1",
        actor=Actor("user", str(ana.user_id)),
    )
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, result.lead_id)
        contact = await session.scalar(
            select(Interaction).where(Interaction.lead_id == lead.id, Interaction.kind == "contact_made")
        )
    assert (lead.claimed_by_user_id, lead.assigned_user_id, lead.first_contact_user_id) == (ana.user_id,) * 3
    assert lead.first_contact_at == lead.received_at and lead.first_contact_source == "board"
    assert lead.stage == "contacted" and lead.next_escalation_at is None
    assert (contact.channel, contact.user_id) == ("in_person", ana.user_id)
