"""Inquiries of one person arriving at the same moment: one open lead, never two; no deadlock."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from router.core.models import Lead
from tests.factories import inquiry, make_practice, signed

pytestmark = pytest.mark.integration


async def post(client, practice, body):
    raw, headers = signed(body, practice.secret)  # a new webhook id for every delivery
    return await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)


async def open_leads_by_phone_index(domain, practice_id):
    async with domain.sessionmaker() as session:
        rows = await session.execute(
            select(Lead.phone_index, func.count())
            .where(Lead.practice_id == practice_id, Lead.status == "open")
            .group_by(Lead.phone_index)
        )
        return {index: count for index, count in rows}


async def test_a_form_submitted_twice_at_once_makes_one_lead_for_each_of_twenty_people(client, domain):
    practice = await make_practice(domain)
    people = [
        inquiry(
            first_name=f"Person{i}",
            email=f"p{i}-{uuid.uuid4().hex[:6]}@example.com",
            phone=f"512-555-{i:04d}",
        )
        for i in range(20)
    ]
    answers = await asyncio.gather(*(post(client, practice, body) for body in people for _ in range(2)))

    assert all(answer.status_code in (200, 201) for answer in answers), [a.text for a in answers]
    for i in range(20):
        pair = answers[2 * i : 2 * i + 2]
        assert sorted(a.status_code for a in pair) == [200, 201]
        assert pair[0].json()["lead_id"] == pair[1].json()["lead_id"]
    counts = await open_leads_by_phone_index(domain, practice.practice.id)
    assert len(counts) == 20 and set(counts.values()) == {1}


async def test_five_at_once_from_a_phone_only_form_make_one_lead(client, domain):
    practice = await make_practice(domain)
    body = inquiry(email=None, phone="512-555-0199")
    answers = await asyncio.gather(*(post(client, practice, body) for _ in range(5)))

    assert Counter(a.status_code for a in answers) == {201: 1, 200: 4}
    assert len({a.json()["lead_id"] for a in answers}) == 1
    assert list((await open_leads_by_phone_index(domain, practice.practice.id)).values()) == [1]


async def test_merges_racing_household_leads_all_succeed(client, domain):
    """Merging into Ann's lead locks it; a household member's new lead refers to it. They used to take
    their locks in opposite orders and deadlock (a 500)."""
    practice = await make_practice(domain)
    first = await post(
        client, practice, inquiry(first_name="Ann", email="ann@example.com", phone="512-555-0100")
    )
    assert first.status_code == 201
    ann = first.json()["lead_id"]

    merges = [
        inquiry(first_name="Ann", email="ann@example.com", phone=None, sms_consent=None) for _ in range(16)
    ]
    household = [
        inquiry(first_name=f"Child{i}", email=f"child{i}@example.com", phone="512-555-0100")
        for i in range(16)
    ]
    bodies = [body for pair in zip(merges, household, strict=True) for body in pair]
    answers = await asyncio.gather(*(post(client, practice, body) for body in bodies))

    assert [a.status_code for a in answers] == [200, 201] * 16, [
        a.text for a in answers if a.status_code >= 300
    ]
    assert {a.json()["lead_id"] for a in answers[0::2]} == {ann}
    assert {a.json()["household_lead_id"] for a in answers[1::2]} == {ann}
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, uuid.UUID(ann))
    assert lead is not None and lead.touch_count == 17
