"""A lead awaiting match review has its follow-up paused; "not this patient" resumes it; a link to a
patient the PMS shows with a visit ends it (booked, or already a patient)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from router.core.models import MatchReview, NurtureEnrolment, NurtureMessage
from router.matching.patients import SyncedPatients
from router.matching.queue import decide_review, match_leads_task
from router.nurture.outbox import send_due_messages, send_message
from router.nurture.worker import nurture_tick
from router.privacy.audit import Actor
from tests.escalation.support import freeze
from tests.factories import sign_in, viewer_of
from tests.matching.helpers import STAFF, _people, new_lead, stored_patient, visit
from tests.nurture.support import daytime, nurture_practice

pytestmark = pytest.mark.integration


async def _enrolment(domain, lead_id):
    async with domain.sessionmaker() as session:
        return await session.scalar(select(NurtureEnrolment).where(NurtureEnrolment.lead_id == lead_id))


async def _messages(domain, lead_id):
    async with domain.sessionmaker() as session:
        return (
            await session.scalars(
                select(NurtureMessage)
                .where(NurtureMessage.lead_id == lead_id)
                .order_by(NurtureMessage.created_at)
            )
        ).all()


async def _decide(domain, practice, lead_id, *, accept):
    boss = await viewer_of(domain, practice.staff["boss@bright.example"])
    async with domain.sessionmaker() as session:
        review_id = await session.scalar(select(MatchReview.id).where(MatchReview.lead_id == lead_id))
    await decide_review(domain, boss, review_id, accept=accept, actor=Actor("user", str(boss.user_id)))


async def test_awaiting_review_pauses_and_not_this_patient_resumes(client, domain, runtime, patient_book):
    clock = freeze(domain, daytime())
    practice = await nurture_practice(domain, staff=STAFF)
    sure, unsure, _, _ = await _people(domain, practice, patient_book)
    await nurture_tick(domain)
    [queued] = await _messages(domain, unsure)
    assert queued.status == "queued"
    await match_leads_task({"domain": domain})
    assert (await _enrolment(domain, unsure)).status == "paused"
    assert (await _enrolment(domain, sure)).status == "active"  # linked, no visit in the PMS: goes on
    assert (await send_message(domain, queued.id))["status"] == "paused"
    # the sweeper takes the other two leads' welcome messages, never the held one
    assert (await send_due_messages(domain))["due"] == 2
    await sign_in(client, domain, "boss@bright.example")
    assert (
        "Paused until a manager decides whether this is an existing patient"
        in (await client.get(f"/leads/{unsure}")).text
    )
    assert [m.status for m in await _messages(domain, unsure)] == ["queued"]
    step_before = (await _enrolment(domain, unsure)).step_index
    clock.advance(timedelta(days=3))
    await nurture_tick(domain)
    assert (await _enrolment(domain, unsure)).step_index == step_before  # no step while paused
    await _decide(domain, practice, unsure, accept=False)
    resumed = await _enrolment(domain, unsure)
    assert resumed.status == "active" and resumed.next_due_at <= clock.now()
    jobs = [job.decode() for job in await runtime.redis.zrange(runtime.settings.redis.queue_name, 0, -1)]
    assert any(job.startswith(f"nurture:{queued.id}:") for job in jobs)  # the held message goes again
    await nurture_tick(domain)
    assert (await _enrolment(domain, unsure)).step_index == step_before + 1


@pytest.mark.parametrize(
    ("visit_at", "status", "reason"),
    [(timedelta(days=4), "booked", "booked"), (-timedelta(days=300), "completed", "existing_patient")],
    ids=["booked", "existing patient"],
)
async def test_linked_to_a_patient_with_a_visit_leaves_the_sequence(domain, visit_at, status, reason):
    freeze(domain, daytime())
    practice = await nurture_practice(domain, staff=STAFF)
    before, domain.patients = domain.patients, SyncedPatients(domain.cipher)
    try:
        lead = await new_lead(
            domain, practice, first_name="Bob", last_name="Okafor", phone="(512) 555-0162", zip="78705"
        )
        robert = await stored_patient(
            domain,
            practice.practice.id,
            first_name="Robert",
            last_name="Okafor",
            phone="+15125550999",
            zip="78705",
        )
        await visit(domain, practice, robert, starts_at=domain.clock.now() + visit_at, status=status)
        await nurture_tick(domain)
        assert (await match_leads_task({"domain": domain}))["queued"] == 1
        assert (await _enrolment(domain, lead)).status == "paused"
        await _decide(domain, practice, lead, accept=True)
    finally:
        domain.patients = before
    ended = await _enrolment(domain, lead)
    assert (ended.status, ended.exit_reason) == ("exited", reason)
    assert [m.status for m in await _messages(domain, lead)] == ["cancelled"]
