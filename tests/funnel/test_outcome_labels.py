"""The training label from completed PMS visits: the window, young leads left out, the fallback to
staff close reasons, and the card's words saying which label was used."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from router.core.models import Appointment, Lead, Practice
from router.scores.outcome_labels import STAFF_LABEL, training_history, visit_label
from tests.board.helpers import new_lead
from tests.factories import make_practice

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.unit
def test_a_visit_within_the_window_converts_and_a_young_lead_has_no_label():
    asked = NOW - 90 * DAY
    assert visit_label(asked, [asked + 59 * DAY], now=NOW, window_days=60) is True
    assert visit_label(asked, [asked + 61 * DAY], now=NOW, window_days=60) is False
    assert visit_label(asked, [], now=NOW, window_days=60) is False
    assert visit_label(NOW - 30 * DAY, [NOW - DAY], now=NOW, window_days=60) is None
    assert visit_label(asked, [asked + 40 * DAY], now=NOW, window_days=30) is False


async def _aged_lead(domain, practice, *, days_old, close_reason=None, visit_after_days=None):
    lead_id = await new_lead(domain, practice)
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        values = {"received_at": now - days_old * DAY}
        if close_reason:
            values |= {
                "status": "closed",
                "close_reason": close_reason,
                "closed_at": now - (days_old - 1) * DAY,
            }
        await session.execute(update(Lead).where(Lead.id == lead_id).values(**values))
        if visit_after_days is not None:
            session.add(
                Appointment(
                    id=uuid.uuid4(),
                    practice_id=practice.practice.id,
                    lead_id=lead_id,
                    location_id=practice.locations["downtown"].id,
                    starts_at=now - (days_old - visit_after_days) * DAY,
                    status="completed",
                    source="pms",
                )
            )
    return lead_id


@pytest.mark.integration
async def test_training_uses_completed_visits_once_enough_leads_are_past_their_window(domain):
    bright = await make_practice(domain, settings={"outcome_window_days": 30, "outcome_label_min_leads": 3})
    await _aged_lead(domain, bright, days_old=50, close_reason="not_interested", visit_after_days=20)
    await _aged_lead(domain, bright, days_old=45, close_reason="appointment_booked")
    await _aged_lead(domain, bright, days_old=40, visit_after_days=35)
    await _aged_lead(domain, bright, days_old=10, visit_after_days=2)
    async with domain.sessionmaker() as session:
        practice = await session.get(Practice, bright.practice.id)
        history = await training_history(session, domain, practice, now=domain.clock.now())
    assert history.labels == [True, False, False]  # staff said no, yes; the third came too late
    assert history.staff_labels == [False, True, None]
    assert history.left_out_young == 1
    assert history.source.startswith("completed visit within 30 days of the inquiry")
    assert "staff close reasons agreed on 0% of closed leads" in history.source


@pytest.mark.integration
async def test_too_few_leads_past_their_window_keeps_the_staff_label(domain):
    bright = await make_practice(domain, settings={"outcome_window_days": 30, "outcome_label_min_leads": 5})
    await _aged_lead(domain, bright, days_old=50, close_reason="appointment_booked", visit_after_days=3)
    await _aged_lead(domain, bright, days_old=45, close_reason="spam")
    async with domain.sessionmaker() as session:
        practice = await session.get(Practice, bright.practice.id)
        history = await training_history(session, domain, practice, now=domain.clock.now())
    assert history.source == STAFF_LABEL
    assert history.labels == [True, False]
