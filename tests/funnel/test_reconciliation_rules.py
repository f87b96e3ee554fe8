"""Every reconciliation rule on a hand-built case, and the case it must leave alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from router.funnel.reconciliation import (
    BOOKED_GRACE,
    check_funnel,
    completed_without_appointment,
    duplicates,
    gaps,
    impossible_jumps,
)
from router.funnel.report import leads_at, provider_acceptance, stage_rows
from router.funnel.stages import AppointmentFact, LeadFacts

pytestmark = pytest.mark.unit

NOW = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _lead(**facts) -> LeadFacts:
    return LeadFacts(lead_id=uuid.uuid4(), received_at=facts.pop("received_at", NOW - 10 * DAY), **facts)


def _visit(status: str = "completed", *, in_pms: bool = True, provider: uuid.UUID | None = None):
    return AppointmentFact(uuid.uuid4(), status, "pms", NOW - 3 * DAY, provider_id=provider, in_pms=in_pms)


def _walked(**extra) -> LeadFacts:
    """A lead with every step on record: contacted, booked, came."""
    return _lead(first_contact_at=NOW - 9 * DAY, appointments=[_visit()], **extra)


def test_a_visit_without_contact_on_record_is_an_impossible_jump():
    jumped = _lead(appointments=[_visit()])
    found = impossible_jumps([jumped, _walked()])
    assert [(f.rule, f.lead_ids, f.details["missing"]) for f in found] == [
        ("impossible_jump", (jumped.lead_id,), "contacted")
    ]


def test_treatment_accepted_with_nothing_before_it_is_an_impossible_jump():
    jumped = _lead(first_contact_at=NOW - 9 * DAY, events={"treatment_accepted": NOW - DAY})
    assert [f.details for f in impossible_jumps([jumped])] == [
        {"reached": "treatment_accepted", "missing": "appointment_scheduled"}
    ]


def test_a_completed_stage_without_a_completed_appointment_is_found():
    noted = _lead(first_contact_at=NOW - 9 * DAY, events={"appointment_completed": NOW - DAY})
    cancelled = _lead(events={"appointment_completed": NOW - DAY}, appointments=[_visit("cancelled")])
    fine = _walked(events={"appointment_completed": NOW - 3 * DAY})
    found = completed_without_appointment([noted, cancelled, fine])
    assert {f.lead_ids for f in found} == {(noted.lead_id,), (cancelled.lead_id,)}


def test_a_booked_close_with_no_pms_appointment_after_48_hours_is_found():
    late = _lead(close_reason="appointment_booked", closed_at=NOW - BOOKED_GRACE - timedelta(minutes=1))
    recent = _lead(close_reason="appointment_booked", closed_at=NOW - BOOKED_GRACE + timedelta(minutes=1))
    local_only = _lead(
        close_reason="appointment_booked",
        closed_at=NOW - 5 * DAY,
        appointments=[_visit("booked", in_pms=False)],
    )
    synced = _lead(
        close_reason="appointment_booked", closed_at=NOW - 5 * DAY, appointments=[_visit("booked")]
    )
    leads = [late, recent, local_only, synced]
    found = check_funnel(leads, now=NOW, practice_uses_pms=True)
    assert {f.lead_ids for f in found if f.rule == "booked_not_in_pms"} == {
        (late.lead_id,),
        (local_only.lead_id,),
    }
    without_pms = check_funnel(leads, now=NOW, practice_uses_pms=False)
    assert not [f for f in without_pms if f.rule == "booked_not_in_pms"]


def test_two_leads_of_one_patient_within_a_month_are_duplicates():
    patient, other = uuid.uuid4(), uuid.uuid4()
    first = _lead(patient_id=patient, received_at=NOW - 40 * DAY)
    second = _lead(patient_id=patient, received_at=NOW - 20 * DAY)
    months_later = _lead(patient_id=patient, received_at=NOW + 40 * DAY)
    stranger = _lead(patient_id=other, received_at=NOW - 20 * DAY)
    found = duplicates([months_later, second, stranger, first])
    assert [f.lead_ids for f in found] == [(first.lead_id, second.lead_id)]


def test_a_stage_larger_than_the_one_before_is_a_gap_listing_the_leads_that_skipped():
    skipped = [_lead(events={"appointment_scheduled": NOW - DAY}) for _ in range(2)]
    contacted = _lead(first_contact_at=NOW - 9 * DAY)
    found = gaps([*skipped, contacted])
    assert [(f.details["stage"], set(f.lead_ids)) for f in found] == [
        ("appointment_scheduled", {lead.lead_id for lead in skipped})
    ]
    assert gaps([_walked(), contacted]) == []


def test_a_finding_keeps_its_fingerprint_whatever_the_order_of_its_leads():
    patient = uuid.uuid4()
    a = _lead(patient_id=patient, received_at=NOW - 2 * DAY)
    b = _lead(patient_id=patient, received_at=NOW - DAY)
    assert duplicates([a, b])[0].fingerprint == duplicates([b, a])[0].fingerprint


def test_stage_counts_convert_from_the_stage_before():
    rows = stage_rows([_walked(), _lead(first_contact_at=NOW - 9 * DAY), _lead()])
    assert [(r.stage, r.count) for r in rows][:4] == [
        ("lead", 3),
        ("contacted", 2),
        ("appointment_scheduled", 1),
        ("appointment_completed", 1),
    ]
    assert rows[0].conversion is None
    assert rows[1].conversion == pytest.approx(2 / 3)
    assert rows[5].conversion is None


def test_drill_down_lists_the_leads_of_a_stage():
    came = _walked()
    assert [lead.lead_id for lead in leads_at([came, _lead()], "appointment_completed")] == [came.lead_id]
    with pytest.raises(ValueError, match="stage"):
        leads_at([came], "teleported")


def test_provider_acceptance_counts_visits_and_acceptances_largest_caseload_first():
    busy, new = uuid.uuid4(), uuid.uuid4()
    leads = [
        *[_lead(first_contact_at=NOW, appointments=[_visit(provider=busy)]) for _ in range(30)],
        *[
            _lead(
                first_contact_at=NOW, appointments=[_visit(provider=busy)], events={"treatment_accepted": NOW}
            )
            for _ in range(15)
        ],
        _lead(first_contact_at=NOW, appointments=[_visit(provider=new)], events={"treatment_accepted": NOW}),
    ]
    rows = provider_acceptance(leads)
    assert [(r.provider_id, r.presented, r.accepted, r.few) for r in rows] == [
        (busy, 45, 15, False),
        (new, 1, 1, True),
    ]


def test_treatment_plans_from_the_pms_set_the_stages_and_the_provider_rates():
    from router.funnel.stages import PlanFact

    orthodontist, hygienist = uuid.uuid4(), uuid.uuid4()
    accepted = _walked(plans=[PlanFact(orthodontist, True, NOW - DAY, None)])
    finished = _walked(plans=[PlanFact(orthodontist, True, NOW - 2 * DAY, NOW - DAY)])
    declined = _walked(
        plans=[PlanFact(orthodontist, True, None, None), PlanFact(hygienist, True, None, None)]
    )
    assert accepted.reached()["treatment_accepted"] == NOW - DAY
    assert "treatment_completed" in finished.reached() and "treatment_accepted" not in declined.reached()
    rows = provider_acceptance([accepted, finished, declined])
    assert [(r.provider_id, r.presented, r.accepted) for r in rows] == [
        (orthodontist, 3, 2),
        (hygienist, 1, 0),
    ]
