"""The checks against the database: stored once, cleared when fixed, resolved by link, merge or a
dismissal with a reason; each resolution audited; a bad answer changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from router.core.errors import ActionRefused, InvalidFields, NotPermitted
from router.core.models import Appointment, AuditRecord, Lead, ReconciliationFinding
from router.funnel.findings import Resolution, nightly_reconciliation, resolve_finding, run_checks
from router.privacy.audit import Actor
from tests.board.helpers import new_lead
from tests.factories import make_practice, viewer_of

pytestmark = pytest.mark.integration

STAFF = {
    "boss@bright.example": {"role": "manager"},
    "desk@bright.example": {},
}


@pytest.fixture
async def bright(domain):
    return await make_practice(domain, staff=STAFF)


async def _appointment(domain, practice, lead_id, *, status="completed", source="pms", days_ago=3):
    async with domain.sessionmaker() as session, session.begin():
        row = Appointment(
            id=uuid.uuid4(),
            practice_id=practice.practice.id,
            lead_id=lead_id,
            location_id=practice.locations["downtown"].id,
            starts_at=domain.clock.now() - timedelta(days=days_ago),
            status=status,
            source=source,
        )
        session.add(row)
    return row.id


async def _check(domain, practice):
    async with domain.sessionmaker() as session, session.begin():
        return await run_checks(session, practice.practice.id, now=domain.clock.now())


async def _findings(domain, practice, rule=None):
    async with domain.sessionmaker() as session:
        query = select(ReconciliationFinding).where(ReconciliationFinding.practice_id == practice.practice.id)
        if rule:
            query = query.where(ReconciliationFinding.rule == rule)
        return (await session.scalars(query)).all()


def _actor(viewer):
    return Actor(type="user", id=str(viewer.user_id))


async def test_a_finding_is_stored_once_however_often_the_check_runs(domain, bright):
    lead = await new_lead(domain, bright)
    await _appointment(domain, bright, lead)
    first = await _check(domain, bright)
    again = await _check(domain, bright)
    assert first.new >= 1 and again.new == 0
    jumps = await _findings(domain, bright, "impossible_jump")
    assert [row.lead_ids for row in jumps] == [[str(lead)]]
    assert jumps[0].details == {"reached": "appointment_completed", "missing": "contacted"}


async def test_the_nightly_job_checks_every_practice(domain, bright):
    lead = await new_lead(domain, bright)
    await _appointment(domain, bright, lead)
    done = await nightly_reconciliation({"domain": domain})
    assert done["practices"] >= 1 and done["new"] >= 1
    assert await _findings(domain, bright, "impossible_jump")


async def test_dismissing_needs_a_reason_and_is_audited(domain, bright):
    boss = await viewer_of(domain, bright.staff["boss@bright.example"])
    lead = await new_lead(domain, bright)
    await _appointment(domain, bright, lead)
    await _check(domain, bright)
    (finding,) = await _findings(domain, bright, "impossible_jump")
    with pytest.raises(InvalidFields) as refused:
        await resolve_finding(domain, boss, finding.id, Resolution("dismiss", "  "), actor=_actor(boss))
    assert "reason" in refused.value.errors
    assert (await _findings(domain, bright, "impossible_jump"))[0].status == "open"
    await resolve_finding(
        domain, boss, finding.id, Resolution("dismiss", "Walk-in: called from the desk"), actor=_actor(boss)
    )
    (stored,) = await _findings(domain, bright, "impossible_jump")
    assert (stored.status, stored.resolution, stored.reason) == (
        "dismissed",
        "dismiss",
        "Walk-in: called from the desk",
    )
    await _check(domain, bright)
    assert (await _findings(domain, bright, "impossible_jump"))[0].status == "dismissed"
    async with domain.sessionmaker() as session:
        logged = (
            await session.scalars(select(AuditRecord).where(AuditRecord.action == "reconciliation.resolve"))
        ).all()
    assert [(r.lead_id, r.details["resolution"]) for r in logged] == [(lead, "dismiss")]


async def test_linking_a_pms_appointment_resolves_a_booked_close_and_the_next_check_agrees(domain, bright):
    boss = await viewer_of(domain, bright.staff["boss@bright.example"])
    lead = await new_lead(domain, bright)
    async with domain.sessionmaker() as session, session.begin():
        row = await session.get(Lead, lead)
        row.status, row.close_reason = "closed", "appointment_booked"
        row.closed_at = domain.clock.now() - timedelta(hours=49)
    synced = await _appointment(domain, bright, None, status="booked", days_ago=-2)
    await _check(domain, bright)
    (finding,) = await _findings(domain, bright, "booked_not_in_pms")
    with pytest.raises(InvalidFields):
        await resolve_finding(
            domain, boss, finding.id, Resolution("link", appointment_id=uuid.uuid4()), actor=_actor(boss)
        )
    await resolve_finding(
        domain, boss, finding.id, Resolution("link", appointment_id=synced), actor=_actor(boss)
    )
    async with domain.sessionmaker() as session:
        assert (await session.get(Appointment, synced)).lead_id == lead
    await _check(domain, bright)
    (stored,) = await _findings(domain, bright, "booked_not_in_pms")
    assert (stored.status, stored.resolution) == ("resolved", "link")


async def test_an_open_finding_no_longer_found_is_cleared(domain, bright):
    lead = await new_lead(domain, bright)
    visit = await _appointment(domain, bright, lead)
    await _check(domain, bright)
    async with domain.sessionmaker() as session, session.begin():
        (await session.get(Lead, lead)).first_contact_at = domain.clock.now() - timedelta(days=5)
        (await session.get(Appointment, visit)).status = "completed"
    run = await _check(domain, bright)
    assert run.cleared == 2  # the jump, and the gap it made (more visits than contacts)
    (stored,) = await _findings(domain, bright, "impossible_jump")
    assert (stored.status, stored.resolution) == ("resolved", "cleared")


async def test_merging_duplicates_keeps_one_lead_and_moves_the_visits(domain, bright):
    boss = await viewer_of(domain, bright.staff["boss@bright.example"])
    kept, twice = await new_lead(domain, bright), await new_lead(domain, bright)
    visit = await _appointment(domain, bright, twice, status="booked", days_ago=-1)
    async with domain.sessionmaker() as session, session.begin():
        finding = ReconciliationFinding(
            id=uuid.uuid4(),
            practice_id=bright.practice.id,
            rule="duplicate",
            fingerprint="hand-built",
            lead_ids=[str(kept), str(twice)],
            details={},
            found_at=domain.clock.now(),
            last_seen_at=domain.clock.now(),
        )
        session.add(finding)
    with pytest.raises(InvalidFields):
        await resolve_finding(domain, boss, finding.id, Resolution("link"), actor=_actor(boss))
    await resolve_finding(
        domain, boss, finding.id, Resolution("merge", keep_lead_id=kept), actor=_actor(boss)
    )
    async with domain.sessionmaker() as session:
        assert (await session.get(Appointment, visit)).lead_id == kept
        merged = await session.get(Lead, twice)
        assert (merged.status, merged.close_reason) == ("closed", "duplicate")
        assert (await session.get(Lead, kept)).status == "open"
    with pytest.raises(ActionRefused, match="already resolved"):
        await resolve_finding(domain, boss, finding.id, Resolution("dismiss", "again"), actor=_actor(boss))


async def test_front_desk_cannot_resolve_and_other_practices_cannot_see(domain, bright):
    desk = await viewer_of(domain, bright.staff["desk@bright.example"])
    north = await make_practice(domain, slug="north", staff={"boss@north.example": {"role": "manager"}})
    stranger = await viewer_of(domain, north.staff["boss@north.example"])
    lead = await new_lead(domain, bright)
    await _appointment(domain, bright, lead)
    await _check(domain, bright)
    (finding,) = await _findings(domain, bright, "impossible_jump")
    with pytest.raises(NotPermitted):
        await resolve_finding(domain, desk, finding.id, Resolution("dismiss", "x"), actor=_actor(desk))
    with pytest.raises(ActionRefused, match="not one of your practice"):
        await resolve_finding(
            domain, stranger, finding.id, Resolution("dismiss", "x"), actor=_actor(stranger)
        )


async def test_two_leads_linked_to_one_patient_are_found_as_duplicates(domain, bright, patient_book):
    first, second, other = [await new_lead(domain, bright) for _ in range(3)]
    patient = patient_book.add(bright.practice.id, first_name="Ana", last_name="Lopez")
    patient_book.links = {
        first: (patient, "matcher"),
        second: (patient, "review"),
        other: (uuid.uuid4(), "matcher"),
    }
    async with domain.sessionmaker() as session, session.begin():
        await run_checks(session, bright.practice.id, now=domain.clock.now(), patients=patient_book)
    (duplicate,) = await _findings(domain, bright, "duplicate")
    assert set(duplicate.lead_ids) == {str(first), str(second)}
