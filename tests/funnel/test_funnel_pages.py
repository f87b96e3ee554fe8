"""The funnel pages through HTTP as a manager uses them: filters, drill-down, checks and answers."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from router.core.models import Appointment, Lead, Provider, ReconciliationFinding
from tests.board.helpers import new_lead
from tests.factories import csrf_of, make_practice, sign_in

pytestmark = pytest.mark.integration

OFFICES = {
    "downtown": {"zip": "78701", "latitude": 30.27, "longitude": -97.74},
    "lakeway": {"zip": "78734", "latitude": 30.36, "longitude": -97.98},
}


@pytest.fixture
async def bright(domain):
    return await make_practice(
        domain, locations=OFFICES, staff={"admin@bright.example": {"role": "practice_admin", "locations": []}}
    )


async def _visit(domain, practice, lead_id, office="downtown"):
    async with domain.sessionmaker() as session, session.begin():
        provider = await session.scalar(
            select(Provider.id).where(Provider.practice_id == practice.practice.id)
        )
        session.add(
            Appointment(
                id=uuid.uuid4(),
                practice_id=practice.practice.id,
                lead_id=lead_id,
                location_id=practice.locations[office].id,
                starts_at=domain.clock.now() - timedelta(hours=2),
                provider_id=provider,
                status="completed",
                source="pms",
            )
        )
        lead = await session.get(Lead, lead_id)
        lead.first_contact_at = domain.clock.now() - timedelta(days=1)
    return provider


async def test_the_funnel_counts_stages_and_filters_by_office_and_provider(client, domain, bright):
    came = await new_lead(domain, bright, location="downtown", first_name="Carmen")
    await new_lead(domain, bright, location="downtown", first_name="Dana")
    far = await new_lead(domain, bright, location="lakeway", first_name="Lars")
    provider = await _visit(domain, bright, came)
    await sign_in(client, domain, "admin@bright.example")
    page = await client.get("/funnel")
    assert page.status_code == 200
    assert "Came to the visit" in page.text and "Dr. Maria Chen" in page.text
    assert "Carmen" not in page.text  # the overview has counts only
    lakeway = await client.get("/funnel", params={"location": str(bright.locations["lakeway"].id)})
    assert "<strong>1</strong>" in lakeway.text and "No completed visits" in lakeway.text
    by_provider = await client.get("/funnel/leads", params={"stage": "lead", "provider": str(provider)})
    assert (
        "Carmen" in by_provider.text and "Dana" not in by_provider.text and str(far) not in by_provider.text
    )
    visits = await client.get("/funnel/leads", params={"stage": "appointment_completed"})
    assert "Carmen" in visits.text and "Dana" not in visits.text
    odd = await client.get("/funnel", params={"since": "2026-13-40"})
    assert "could not be read" in odd.text


async def test_checks_run_from_the_page_and_a_dismissal_needs_a_reason(client, domain, bright):
    jumped = await new_lead(domain, bright, first_name="Jules")
    await _visit(domain, bright, jumped)
    async with domain.sessionmaker() as session, session.begin():
        (await session.get(Lead, jumped)).first_contact_at = None
    await sign_in(client, domain, "admin@bright.example")
    token = await csrf_of(client)
    ran = await client.post("/funnel/checks/run", data={"_csrf_token": token})
    assert ran.status_code == 303
    checks = await client.get(ran.headers["location"])
    assert "Jules" in checks.text and "no “contacted” on record" in checks.text
    async with domain.sessionmaker() as session:
        finding = await session.scalar(
            select(ReconciliationFinding).where(ReconciliationFinding.rule == "impossible_jump")
        )
    target = f"/funnel/checks/{finding.id}/resolve"
    refused = await client.post(target, data={"_csrf_token": token, "action": "dismiss", "reason": ""})
    assert refused.status_code == 422
    assert "Say why this is not a problem" in refused.text
    done = await client.post(target, data={"_csrf_token": token, "action": "dismiss", "reason": "Walk-in"})
    assert done.status_code == 303
    after = await client.get(done.headers["location"])
    assert "Dismissed" in after.text and f"finding-{finding.id}" not in after.text
