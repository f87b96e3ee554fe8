"""Lifetime values from the PMS replace the simulated ones for attribution; staff values stay."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from router.core.models import PatientValue
from router.matching.values import refresh_patient_values_task
from tests.board.helpers import new_lead
from tests.factories import make_practice

pytestmark = pytest.mark.integration


async def test_real_values_replace_simulated_ones_once_they_exist(domain, patient_book):
    bright = await make_practice(domain)
    real, simulated, typed = [await new_lead(domain, bright) for _ in range(3)]
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        for lead_id, value, source in (
            (real, 900.0, "simulator"),
            (simulated, 4200.0, "simulator"),
            (typed, 350.0, "staff"),
        ):
            session.add(
                PatientValue(
                    lead_id=lead_id,
                    practice_id=bright.practice.id,
                    value=value,
                    source=source,
                    recorded_at=now,
                )
            )
    assert (await refresh_patient_values_task({"domain": domain}))["values"] == 0  # no PMS values yet
    patient = patient_book.add(bright.practice.id, first_name="Ana")
    patient_book.links[real] = (patient, "matcher")
    patient_book.values[patient] = 5150.0
    done = await refresh_patient_values_task({"domain": domain})
    assert done["values"] == 1
    async with domain.sessionmaker() as session:
        rows = {r.lead_id: (r.value, r.source) for r in (await session.scalars(select(PatientValue))).all()}
    assert rows == {real: (5150.0, "pms"), typed: (350.0, "staff")}
