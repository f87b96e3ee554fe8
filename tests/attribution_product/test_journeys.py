"""Journeys: anonymous visits stitched to the lead by visitor id, cut at the practice's conversion stage."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from leadrouter.attribution_engine import aggregated
from router.core.models import Practice
from router.marketing.journeys import build_journeys, load_journeys
from tests.attribution_product.support import SITE_ORIGIN, post_visit, practice_with_site, reach_stage, visit
from tests.escalation.support import freeze
from tests.factories import inquiry, signed

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
VISITOR = "Zp4nY0Xc2Sx9LmQq7rT1ab"
LEAD, OTHER = uuid.uuid4(), uuid.uuid4()


@pytest.mark.unit
def test_stitching_cutting_and_kind_channels_on_hand_made_touches():
    touches = [
        (None, VISITOR, "web_visit", "facebook_ads", T0),
        (None, "stranger000", "web_visit", "social", T0 + timedelta(hours=1)),
        (None, VISITOR, "web_visit", "organic_search", T0 + timedelta(hours=2)),
        (LEAD, VISITOR, "form", "google_ads", T0 + timedelta(hours=3)),
        (None, VISITOR, "web_visit", "direct", T0 + timedelta(days=9)),  # after the booking: dropped
        (OTHER, None, "referral", "direct", T0 + timedelta(hours=4)),  # a referral is always that channel
        (None, None, "web_visit", "direct", T0),  # nobody to follow: skipped
    ]
    journeys = build_journeys(
        touches,
        owners={VISITOR: LEAD},
        conversions={LEAD: T0 + timedelta(days=2)},
        values={LEAD: 4200.0},
        conversion_stage="appointment_scheduled",
    )
    by_lead = {journey.lead_id: journey for journey in journeys.journeys}
    assert by_lead[LEAD].channels == ("facebook_ads", "organic_search", "google_ads")
    assert (by_lead[LEAD].converted, by_lead[LEAD].value, by_lead[LEAD].stitched_visits) == (True, 4200.0, 2)
    assert by_lead[OTHER].channels == ("physician_referral",) and not by_lead[OTHER].converted
    assert by_lead[None].channels == ("social",) and not by_lead[None].converted
    assert journeys.conversions == 1 and journeys.stitched_visits == 2
    paths = aggregated(journeys)
    assert paths.total_conversions == 1 and paths.total_nulls == 2 and paths.total_value == 4200.0


@pytest.mark.integration
async def test_visits_before_a_form_join_its_lead_and_the_chosen_stage_decides_conversion(client, domain):
    clock = freeze(domain, T0)
    practice = await practice_with_site(domain)
    practice_id = practice.practice.id
    assert (
        await post_visit(client, visit(VISITOR, "visit0001", f"{SITE_ORIGIN}/?fbclid=IwAR123"))
    ).status_code == 204
    clock.advance(timedelta(days=2))
    referrer = "https://www.google.com/"
    assert (
        await post_visit(client, visit(VISITOR, "visit0002", f"{SITE_ORIGIN}/", referrer=referrer))
    ).status_code == 204
    clock.advance(timedelta(hours=1))
    raw, headers = signed(inquiry(visitor_id=VISITOR), practice.secret)
    response = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    assert response.status_code == 201
    lead_id = uuid.UUID(response.json()["lead_id"])
    await reach_stage(domain, lead_id, practice_id, "appointment_scheduled", clock.now() + timedelta(days=1))

    window = {"start": T0 - timedelta(days=1), "end": T0 + timedelta(days=30)}
    async with domain.sessionmaker() as session:
        booked = await load_journeys(session, practice_id, **window)
        accepted = await load_journeys(session, practice_id, conversion_stage="treatment_accepted", **window)
    [journey] = booked.journeys
    assert journey.lead_id == lead_id and journey.converted
    assert journey.channels == ("facebook_ads", "organic_search", "google_ads")
    assert journey.stitched_visits == 2
    assert not accepted.journeys[0].converted  # booked, but no treatment accepted yet

    await reach_stage(
        domain, lead_id, practice_id, "treatment_accepted", clock.now() + timedelta(days=5), 5600.0
    )
    async with domain.sessionmaker() as session:
        await session.execute(
            update(Practice)
            .where(Practice.id == practice_id)
            .values(settings={"attribution_conversion_stage": "treatment_accepted"})
        )
        await session.commit()
        accepted = await load_journeys(session, practice_id, conversion_stage="treatment_accepted", **window)
    assert accepted.journeys[0].converted and accepted.journeys[0].value == 5600.0
    assert accepted.has_values
