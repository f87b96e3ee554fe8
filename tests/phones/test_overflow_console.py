"""The overflow agents' console: their practices only, oldest first, atomic claim, disposition, hand-back."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from connectors.twilio.twiml import RING_RESULT_PATH, VOICE_PATH
from router.board.snapshot import load_board_leads
from router.core.clock import FrozenClock
from router.core.models import Appointment, AuditRecord, Interaction, Lead
from router.privacy.auth import create_user
from tests.factories import open_staff_session
from tests.phones.helpers import call_params, form_lead, new_sid, phone_practice, post_signed

pytestmark = pytest.mark.integration

NOON_CDT = datetime(2026, 6, 2, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(domain):  # type: ignore[no-untyped-def]
    clock = FrozenClock(NOON_CDT)
    domain.clock = clock
    return clock


async def _agents(domain, center):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session, session.begin():
        hana = await create_user(
            session,
            email="hana@overflow.example",
            display_name="Hana Ito",
            password="correct horse battery",
            role="overflow_agent",
            call_center_id=center.id,
        )
        omar = await create_user(
            session,
            email="omar@overflow.example",
            display_name="Omar Haddad",
            password="correct horse battery",
            role="overflow_agent",
            call_center_id=center.id,
        )
    return {
        "hana": (hana, await open_staff_session(domain, hana)),
        "omar": (omar, await open_staff_session(domain, omar)),
    }


async def _console(client, token):  # type: ignore[no-untyped-def]
    client.cookies.clear()
    client.cookies.set("lr_session", token)
    page = await client.get("/overflow")
    assert page.status_code == 200, page.text
    return page, {"x-csrftoken": re.search(r'"x-csrftoken": "([^"]+)"', page.text).group(1)}


async def test_a_rung_out_call_is_claimed_by_one_agent_worked_and_handed_back(
    twilio_client, twilio_config, phones, frozen
):
    practice = await phone_practice(phones)
    other = await phone_practice(phones, slug="faraway", overflow_mode=None, tracking="+15125550109")
    older = await form_lead(
        phones, other, phone="+15125550142"
    )  # another call center's practice: never shown
    async with phones.sessionmaker() as session, session.begin():
        await session.execute(update(Lead).where(Lead.id == older).values(overflow=True))
    agents = await _agents(phones, practice.call_center)
    frozen.advance(timedelta(minutes=1))
    sid = new_sid()
    await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(sid))
    await post_signed(
        twilio_client,
        twilio_config,
        f"{RING_RESULT_PATH}?step=front_desk",
        {"CallSid": sid, "DialCallStatus": "no-answer"},
    )
    async with phones.sessionmaker() as session:
        lead = (await session.scalars(select(Lead).where(Lead.practice_id == practice.practice.id))).one()
    assert lead.overflow

    page, hana_headers = await _console(twilio_client, agents["hana"][1])
    assert f'id="overflow-{lead.id}"' in page.text and f'id="overflow-{older}"' not in page.text
    claimed = await twilio_client.post(f"/overflow/console/leads/{lead.id}/claim", headers=hana_headers)
    assert claimed.status_code == 200 and "Record outcome" in claimed.text

    queue, omar_headers = await _console(twilio_client, agents["omar"][1])
    assert "Claimed by Hana Ito" in queue.text
    lost = await twilio_client.post(f"/overflow/console/leads/{lead.id}/claim", headers=omar_headers)
    assert lost.status_code == 409 and "Hana Ito has already claimed this lead" in lost.text

    _, hana_headers = await _console(twilio_client, agents["hana"][1])
    booked = await twilio_client.post(
        f"/overflow/console/leads/{lead.id}/disposition",
        data={
            "disposition": "booked",
            "note": "Booked, confirm insurance",
            "appointment_at": "2031-03-04T09:00",
        },
        headers=hana_headers,
    )
    assert booked.status_code == 200, booked.text
    assert "Booked and handed back" in booked.text  # one step: the booking, the close and the hand-back
    async with phones.sessionmaker() as session:
        lead = await session.get(Lead, lead.id)
        kinds = [
            i.kind for i in (await session.scalars(select(Interaction).where(Interaction.lead_id == lead.id)))
        ]
        appointments = list(await session.scalars(select(Appointment).where(Appointment.lead_id == lead.id)))
        actions = set(
            (
                await session.scalars(
                    select(AuditRecord.action).where(AuditRecord.actor_id == str(agents["hana"][0].id))
                )
            ).all()
        )
    assert lead is not None and not lead.overflow and lead.claimed_by_user_id is None
    assert lead.status == "closed" and lead.close_reason == "appointment_booked"
    assert lead.stage == "appointment_scheduled" and lead.first_contact_at is not None
    assert [(a.source, a.booked_by_user_id) for a in appointments] == [("overflow", agents["hana"][0].id)]
    assert {"disposition", "closed", "handback"} <= set(kinds)
    assert {"lead.read", "lead.claim", "lead.disposition", "lead.close", "lead.hand_back"} <= actions
    page, _ = await _console(twilio_client, agents["hana"][1])
    assert f'id="overflow-{lead.id}"' not in page.text
    async with phones.sessionmaker() as session:  # the practice's board says what happened
        row = (await load_board_leads(session, phones, [lead.id]))[lead.id]
    assert row.badges[:2] == ("Booked by overflow", "Handed back: Booked, confirm insurance")


async def test_the_queue_is_oldest_first_then_highest_score(twilio_client, phones, frozen):
    practice = await phone_practice(phones)
    agents = await _agents(phones, practice.call_center)
    ids = []
    for minute, score, phone in ((0, 40, "+15125550131"), (0, 90, "+15125550132"), (5, 99, "+15125550133")):
        frozen.set(NOON_CDT + timedelta(minutes=minute))
        lead_id = await form_lead(phones, practice, phone=phone, email=f"{phone[-4:]}@example.com")
        async with phones.sessionmaker() as session, session.begin():
            await session.execute(update(Lead).where(Lead.id == lead_id).values(overflow=True, score=score))
        ids.append(lead_id)
    page, _ = await _console(twilio_client, agents["hana"][1])
    positions = [page.text.index(f'id="overflow-{lead_id}"') for lead_id in (ids[1], ids[0], ids[2])]
    assert positions == sorted(positions)


async def test_front_desk_staff_cannot_open_the_console(twilio_client, phones):
    practice = await phone_practice(phones, staff={"desk@bright.example": {}})
    token = await open_staff_session(phones, practice.staff["desk@bright.example"])
    twilio_client.cookies.set("lr_session", token)
    assert (await twilio_client.get("/overflow/console/queue")).status_code == 403
