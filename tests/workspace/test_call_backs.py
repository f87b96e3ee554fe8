"""An agent's "call back at": the patient's time, a passed time refused beside the field, and at the
due time (a controlled clock) the lead is back at the top of the queue with the note."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from router.board.snapshot import load_board_leads
from router.core.clock import FrozenClock
from router.core.models import CallBackTask, Lead
from router.leads.call_backs import surface_due_call_backs
from router.privacy.auth import create_user
from tests.factories import open_staff_session
from tests.phones.helpers import form_lead, phone_practice

pytestmark = pytest.mark.integration

NOON_CST = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


@pytest.fixture
def frozen(domain):  # type: ignore[no-untyped-def]
    saved = domain.clock
    domain.clock = FrozenClock(NOON_CST)
    yield domain.clock
    domain.clock = saved


async def _agent(domain, practice):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session, session.begin():
        return await create_user(
            session,
            email="hana@overflow.example",
            display_name="Hana Ito",
            password="correct horse battery",
            role="overflow_agent",
            call_center_id=practice.call_center.id,
        )


async def _console(client, domain, agent):  # type: ignore[no-untyped-def]
    """Signed in afresh (a session does not outlast hours of a moved clock); the page's CSRF header."""
    client.cookies.set("lr_session", await open_staff_session(domain, agent))
    page = await client.get("/overflow")
    return {"x-csrftoken": re.search(r'"x-csrftoken": "([^"]+)"', page.text).group(1)}


async def _overflow_leads(domain, practice, count):  # type: ignore[no-untyped-def]
    ids = []
    for n in range(count):
        lead_id = await form_lead(domain, practice, phone=f"+1512555014{n}", email=f"p{n}@example.com")
        ids.append(lead_id)
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(Lead).where(Lead.id.in_(ids)).values(overflow=True))
    return ids


async def test_a_call_back_leaves_the_queue_and_returns_on_top_with_its_note_when_due(
    twilio_client, phones, frozen
):
    practice = await phone_practice(phones)
    first, second = await _overflow_leads(phones, practice, 2)
    agent = await _agent(phones, practice)
    headers = await _console(twilio_client, phones, agent)
    await twilio_client.post(f"/overflow/console/leads/{second}/claim", headers=headers)
    form = {"disposition": "call_back", "call_back_at": "2026-12-04T15:30", "note": "After her shift"}
    answer = await twilio_client.post(
        f"/overflow/console/leads/{second}/disposition", data=form, headers=headers
    )
    assert answer.status_code == 200 and "Call-back set" in answer.text
    async with phones.sessionmaker() as session:
        task = (await session.scalars(select(CallBackTask))).one()
    assert task.due_at == datetime(2026, 12, 4, 21, 30, tzinfo=UTC)  # 15:30 in Austin is 21:30 UTC
    assert f'id="overflow-{second}"' not in (await twilio_client.get("/overflow/console/queue")).text

    frozen.set(task.due_at - timedelta(seconds=1))
    assert await surface_due_call_backs(phones) == 0
    frozen.set(task.due_at + timedelta(seconds=10))
    assert await surface_due_call_backs(phones) == 1
    assert await surface_due_call_backs(phones) == 0  # once
    headers = await _console(twilio_client, phones, agent)
    queue = html.unescape((await twilio_client.get("/overflow/console/queue")).text)
    assert queue.index(f'id="overflow-{second}"') < queue.index(f'id="overflow-{first}"')
    assert "Call back now" in queue and "Note: After her shift" in queue and "15:30 CST" in queue
    async with phones.sessionmaker() as session:  # the practice's board card carries it too
        card = (await load_board_leads(session, phones, [second]))[second]
    assert any(badge.startswith("Call back now: After her shift") for badge in card.badges), card.badges

    await twilio_client.post(f"/overflow/console/leads/{second}/claim", headers=headers)
    await twilio_client.post(
        f"/overflow/console/leads/{second}/hand-back", data={"note": "No answer twice"}, headers=headers
    )
    async with phones.sessionmaker() as session:
        task = (await session.scalars(select(CallBackTask))).one()
    assert task.done_at is not None


async def test_a_passed_or_malformed_call_back_time_is_refused_beside_the_field(
    twilio_client, phones, frozen
):
    practice = await phone_practice(phones)
    (lead_id,) = await _overflow_leads(phones, practice, 1)
    headers = await _console(twilio_client, phones, await _agent(phones, practice))
    await twilio_client.post(f"/overflow/console/leads/{lead_id}/claim", headers=headers)
    for value, message in (
        ("2026-12-04T11:59", "That time has passed"),  # 11:59 in Austin: a minute ago
        ("tomorrow", "Enter the date and time as shown"),
        ("", "Say when to call back"),
    ):
        form = {"disposition": "call_back", "call_back_at": value, "note": "kept"}
        answer = await twilio_client.post(
            f"/overflow/console/leads/{lead_id}/disposition", data=form, headers=headers
        )
        assert answer.status_code == 422, value
        field = answer.text[answer.text.index('id="call_back_at-') - 400 :]
        assert message in field and "field-error" in answer.text, value
        assert ">kept</textarea>" in answer.text  # what was typed stays
    async with phones.sessionmaker() as session:
        assert (await session.scalars(select(CallBackTask))).all() == []
