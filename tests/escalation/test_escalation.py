"""Escalation with a frozen clock: deadline, idempotency, what stops the clock, the sweeper, level 2."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from router.core.models import AuditRecord, DomainEvent, Interaction, Lead, ManagerAlert
from router.leads.escalation import escalate_lead, sweep_overdue
from router.leads.first_contact import record_first_contact
from router.privacy.audit import Actor
from tests.escalation.support import freeze, load_lead, new_lead
from tests.factories import make_practice

pytestmark = pytest.mark.integration

WEDNESDAY_10AM_CHICAGO = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
STAFF = {
    "desk@bright.example": {},
    "boss@bright.example": {"role": "manager", "name": "Morgan Manager"},
}


async def count(domain, model, *where):
    async with domain.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def events_of(domain, lead_id, kind="lead.escalated"):
    async with domain.sessionmaker() as session:
        return (
            await session.scalars(
                select(DomainEvent).where(DomainEvent.lead_id == lead_id, DomainEvent.kind == kind)
            )
        ).all()


async def test_level1_waits_for_the_deadline_then_escalates(domain, runtime):
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain, staff=STAFF)
    lead = await new_lead(domain, practice.practice.id)
    assert lead.sla_due_at == WEDNESDAY_10AM_CHICAGO + timedelta(minutes=5)
    queue = runtime.settings.redis.queue_name
    assert await runtime.redis.zscore(queue, f"escalate:{lead.id}:1") is not None

    clock.advance(timedelta(minutes=4, seconds=59))
    early = await escalate_lead(domain, lead.id, 1)
    assert (early.escalated, early.reason) == (False, "not_due")

    clock.advance(timedelta(seconds=1))
    outcome = await escalate_lead(domain, lead.id, 1)
    assert outcome.escalated
    lead = await load_lead(domain, lead.id)
    assert lead.escalation_level == 1
    assert lead.escalated_at == clock.now()
    assert lead.overflow is True
    assert lead.next_escalation_at == lead.sla_due_at + timedelta(minutes=15)
    [event] = await events_of(domain, lead.id)
    assert event.payload["level"] == 1 and event.location_id == lead.location_id
    async with domain.sessionmaker() as session:
        alert = await session.scalar(select(ManagerAlert).where(ManagerAlert.lead_id == lead.id))
    assert alert.level == 1 and "Downtown Office" in alert.message and "Ana" not in alert.message
    assert f"/leads/{lead.id}" in alert.message
    assert await count(
        domain, AuditRecord, AuditRecord.lead_id == lead.id, AuditRecord.action == "lead.escalate"
    )
    assert await runtime.redis.zscore(queue, f"escalate:{lead.id}:2") is not None


async def test_escalation_is_idempotent_even_when_raced(domain):
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain, staff=STAFF)
    lead = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(minutes=6))
    outcomes = await asyncio.gather(*(escalate_lead(domain, lead.id, 1) for _ in range(5)))
    again = await escalate_lead(domain, lead.id, 1)
    assert sum(o.escalated for o in outcomes) == 1
    assert again.reason == "already_escalated"
    assert len(await events_of(domain, lead.id)) == 1
    assert await count(domain, ManagerAlert, ManagerAlert.lead_id == lead.id) == 1


async def test_a_claim_and_a_logged_attempt_do_not_stop_the_clock(domain):
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain, staff=STAFF)
    desk = practice.staff["desk@bright.example"]
    lead = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(minutes=2))
    async with domain.sessionmaker() as session, session.begin():
        row = await session.get(Lead, lead.id)
        row.claimed_by_user_id, row.claimed_at = desk.id, clock.now()
        session.add(
            Interaction(
                lead_id=lead.id,
                practice_id=lead.practice_id,
                kind="contact_attempt",
                channel="phone",
                outcome="no_answer",
                user_id=desk.id,
                occurred_at=clock.now(),
            )
        )
    clock.advance(timedelta(minutes=3))
    assert (await escalate_lead(domain, lead.id, 1)).escalated


async def test_contact_made_stops_the_clock_and_records_both_figures(domain):
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain, staff=STAFF)
    desk = practice.staff["desk@bright.example"]
    lead = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(minutes=3))
    async with domain.sessionmaker() as session, session.begin():
        row = await session.get(Lead, lead.id, with_for_update=True)
        assert await record_first_contact(session, row, clock.now(), "board", user_id=desk.id)
        # A later contact is not the first.
        assert not await record_first_contact(session, row, clock.now() + timedelta(minutes=1), "call")
    clock.advance(timedelta(minutes=10))
    outcome = await escalate_lead(domain, lead.id, 1)
    assert (outcome.escalated, outcome.reason) == (False, "contacted")
    lead = await load_lead(domain, lead.id)
    assert lead.first_contact_at == WEDNESDAY_10AM_CHICAGO + timedelta(minutes=3)
    assert (lead.first_contact_source, lead.first_contact_user_id) == ("board", desk.id)
    assert lead.first_contact_business_seconds == 180
    assert lead.escalation_level == 0


async def test_a_closed_lead_is_never_escalated(domain):
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain, staff=STAFF)
    lead = await new_lead(domain, practice.practice.id)
    async with domain.sessionmaker() as session, session.begin():
        row = await session.get(Lead, lead.id)
        row.status, row.close_reason, row.closed_at = "closed", "spam", clock.now()
    clock.advance(timedelta(hours=1))
    assert (await escalate_lead(domain, lead.id, 1)).reason == "closed"
    assert (await sweep_overdue(domain))["escalated"] == 0


async def test_sweeper_escalates_a_lead_whose_job_was_lost(domain, runtime):
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain, staff=STAFF)
    lost = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(minutes=3))
    not_yet = await new_lead(domain, practice.practice.id)
    # Redis restarted without the job.
    await runtime.redis.delete(f"arq:job:escalate:{lost.id}:1")
    await runtime.redis.zrem(runtime.settings.redis.queue_name, f"escalate:{lost.id}:1")

    clock.advance(timedelta(minutes=2, seconds=30))
    assert await sweep_overdue(domain) == {"overdue": 1, "escalated": 1}
    assert (await load_lead(domain, lost.id)).escalation_level == 1
    assert (await load_lead(domain, not_yet.id)).escalation_level == 0
    assert await sweep_overdue(domain) == {"overdue": 0, "escalated": 0}

    clock.advance(timedelta(minutes=15))  # lost's level 2 is due; not_yet's level 1 too
    assert await sweep_overdue(domain) == {"overdue": 2, "escalated": 2}
    assert (await load_lead(domain, lost.id)).escalation_level == 2
    assert len(await events_of(domain, lost.id)) == 2


async def test_level2_needs_level1_and_its_own_time(domain):
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain, staff=STAFF)
    lead = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(minutes=6))
    assert (await escalate_lead(domain, lead.id, 2)).reason == "level_1_first"
    await escalate_lead(domain, lead.id, 1)
    clock.advance(timedelta(minutes=13, seconds=59))  # level 2 is due at 5 + 15 = 20 minutes
    assert (await escalate_lead(domain, lead.id, 2)).reason == "not_due"
    clock.advance(timedelta(seconds=1))
    assert (await escalate_lead(domain, lead.id, 2)).escalated


async def test_level2_without_sms_or_email_configured_says_so(domain):
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    staff = {
        **STAFF,
        "away@bright.example": {"role": "manager", "availability": "away"},
        "night@bright.example": {"role": "manager", "shift": {"sat": [["00:00", "01:00"]]}},
    }
    practice = await make_practice(domain, staff=staff)
    async with domain.sessionmaker() as session, session.begin():
        boss = await session.get(
            type(practice.staff["boss@bright.example"]), practice.staff["boss@bright.example"].id
        )
        boss.phone = "+15125550111"
    lead = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(minutes=5))
    await escalate_lead(domain, lead.id, 1)
    clock.advance(timedelta(minutes=15))
    outcome = await escalate_lead(domain, lead.id, 2)
    boss_id = str(practice.staff["boss@bright.example"].id)
    assert [(d["user_id"], d["channel"], d["status"]) for d in outcome.deliveries] == [
        (boss_id, "sms", "not_configured"),
        (boss_id, "email", "not_configured"),
    ]
    async with domain.sessionmaker() as session:
        alert = await session.scalar(
            select(ManagerAlert).where(ManagerAlert.lead_id == lead.id, ManagerAlert.level == 2)
        )
    assert alert.deliveries[0]["detail"] == "SMS not configured"
    assert "Lead waiting 20 min at Downtown Office" in alert.message


async def test_level2_with_no_manager_on_duty_is_recorded(domain):
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain, staff={"desk@bright.example": {}})
    lead = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(minutes=5))
    await escalate_lead(domain, lead.id, 1)
    clock.advance(timedelta(minutes=15))
    outcome = await escalate_lead(domain, lead.id, 2)
    assert [d["status"] for d in outcome.deliveries] == ["no_manager_on_duty"]


async def test_unknown_lead_and_level(domain):
    assert (await escalate_lead(domain, uuid.uuid4(), 1)).reason == "missing"
    with pytest.raises(ValueError):
        await escalate_lead(domain, uuid.uuid4(), 3)


async def test_record_first_contact_rejects_unknown_sources(domain):
    freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain, staff=STAFF)
    lead = await new_lead(domain, practice.practice.id)
    async with domain.sessionmaker() as session, session.begin():
        row = await session.get(Lead, lead.id)
        with pytest.raises(ValueError):
            await record_first_contact(session, row, WEDNESDAY_10AM_CHICAGO, "telepathy")
    assert Actor  # imported for symmetry with the board's callers
