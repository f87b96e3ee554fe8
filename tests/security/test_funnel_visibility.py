"""The funnel's read paths against every role: managers see their scope's leads, nobody else any."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from router.core.models import Appointment, AuditRecord, Lead, MatchReview, Practice
from router.funnel.findings import run_checks
from tests.factories import open_staff_session

pytestmark = pytest.mark.integration

MANAGING = ("manager", "practice_admin", "other_practice_admin")


def _shown(html: str, world) -> set[str]:
    return {name for name, lead_id in world.leads.items() if str(lead_id) in html}


async def _every_lead_came_without_contact(domain) -> None:
    """A completed visit for every lead, none contacted: one finding per lead, in both practices."""
    async with domain.sessionmaker() as session, session.begin():
        for lead in (await session.scalars(select(Lead))).all():
            session.add(
                Appointment(
                    id=uuid.uuid4(),
                    practice_id=lead.practice_id,
                    lead_id=lead.id,
                    location_id=lead.location_id,
                    starts_at=domain.clock.now() - timedelta(days=1),
                    status="completed",
                    source="pms",
                )
            )
        for practice_id in (await session.scalars(select(Practice.id))).all():
            await run_checks(session, practice_id, now=domain.clock.now())


async def test_every_role_sees_exactly_its_leads_on_the_funnel_pages(client, domain, world):
    await _every_lead_came_without_contact(domain)
    for role, person in world.people.items():
        client.cookies.clear()
        client.cookies.set("lr_session", await open_staff_session(domain, person))
        want = world.expected[role]
        overview = await client.get("/funnel")
        stage = await client.get("/funnel/leads", params={"stage": "lead"})
        checks = await client.get("/funnel/checks")
        if role in MANAGING:
            assert overview.status_code == stage.status_code == checks.status_code == 200, role
            assert _shown(overview.text, world) == set(), role
            assert _shown(stage.text, world) == want, role
            assert _shown(checks.text, world) == want, role
        else:
            assert overview.status_code == stage.status_code == checks.status_code == 403, role
            assert _shown(stage.text, world) == _shown(checks.text, world) == set(), role


async def test_names_on_the_funnel_pages_are_audited_reads(client, domain, world):
    client.cookies.set("lr_session", await open_staff_session(domain, world.people["manager"]))
    assert (await client.get("/funnel/leads", params={"stage": "lead"})).status_code == 200
    async with domain.sessionmaker() as session:
        reads = (
            await session.scalars(
                select(AuditRecord.lead_id).where(
                    AuditRecord.action == "lead.read", AuditRecord.details["via"].astext == "funnel"
                )
            )
        ).all()
    assert {lead for lead in reads} == {world.leads[name] for name in world.expected["manager"]}


async def test_a_stage_that_does_not_exist_is_refused_by_name(client, domain, world):
    client.cookies.set("lr_session", await open_staff_session(domain, world.people["manager"]))
    answer = await client.get(
        "/funnel/leads", params={"stage": "teleported"}, headers={"accept": "application/json"}
    )
    assert answer.status_code == 422
    assert "stage" in answer.text


async def test_every_role_sees_exactly_its_leads_in_the_match_review_queue(
    client, domain, world, patient_book
):
    async with domain.sessionmaker() as session, session.begin():
        for lead in (await session.scalars(select(Lead))).all():
            patient = patient_book.add(lead.practice_id, first_name="Pat", last_name="Record", zip=lead.zip)
            session.add(
                MatchReview(
                    id=uuid.uuid4(),
                    practice_id=lead.practice_id,
                    lead_id=lead.id,
                    patient_id=patient,
                    probability=0.8,
                    agreement={"last_name": 3},
                    status="pending",
                    created_at=domain.clock.now(),
                )
            )
    for role, person in world.people.items():
        client.cookies.clear()
        client.cookies.set("lr_session", await open_staff_session(domain, person))
        queue = await client.get("/matching/review")
        if role in MANAGING:
            assert queue.status_code == 200, role
            assert _shown(queue.text, world) == world.expected[role], role
        else:
            assert queue.status_code == 403, role
            assert _shown(queue.text, world) == set(), role
