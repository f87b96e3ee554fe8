"""One-click promotion of an A/B winner: only a declared winner, audited, the test ends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from router.core.models import (
    AuditRecord,
    NurtureSequence,
    NurtureSequenceVersion,
)
from tests.escalation.support import freeze
from tests.factories import csrf_of, sign_in
from tests.nurture.support import daytime, nurture_practice, seed_ab_results
from tests.phones.helpers import form_lead

pytestmark = pytest.mark.integration

MAYA, DESK = "maya@bright.example", "desk@bright.example"
STAFF = {MAYA: {"role": "manager"}, "max@bright.example": {"role": "manager"}, DESK: {"role": "front_desk"}}
VARIANT = "orthodontics-follow-up"
"""Variant B of the first step (the welcome email): another email of the starter wording."""


async def _sequence_with_test(domain):  # type: ignore[no-untyped-def]
    """The orthodontics sequence, its first step running an A/B test; the practice and a lead."""
    practice = await nurture_practice(domain, staff=STAFF)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    async with domain.sessionmaker() as session, session.begin():
        sequence = await session.scalar(
            select(NurtureSequence).where(NurtureSequence.treatment == "orthodontics")
        )
        version = await session.scalar(
            select(NurtureSequenceVersion).where(NurtureSequenceVersion.sequence_id == sequence.id)
        )
        steps = [dict(step) for step in version.steps]
        steps[0]["variant_template"] = VARIANT
        version.steps = steps
    return practice, sequence.id, version.id, lead_id


async def _current_steps(domain, sequence_id):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        sequence = await session.get(NurtureSequence, sequence_id)
        version = await session.scalar(
            select(NurtureSequenceVersion).where(
                NurtureSequenceVersion.sequence_id == sequence_id,
                NurtureSequenceVersion.version == sequence.current_version,
            )
        )
    return sequence.current_version, version.steps


async def test_a_declared_winner_is_promoted_in_one_click_and_the_test_ends(client, nurture_domain):
    domain = nurture_domain
    freeze(domain, daytime())
    practice, sequence_id, version_id, lead_id = await _sequence_with_test(domain)
    await seed_ab_results(domain, practice, version_id, lead_id, a=(100, 1000), b=(160, 1000))
    await sign_in(client, domain, MAYA)
    page = await client.get(f"/nurture/sequences/{sequence_id}")
    assert "Variant B wins" in page.text and "Make variant B the only message" in page.text
    token = await csrf_of(client)
    promoted = await client.post(
        f"/nurture/sequences/{sequence_id}/steps/1/promote", data={"_csrf_token": token}
    )
    assert promoted.status_code == 303 and promoted.headers["location"].endswith("?done=promoted#steps")
    number, steps = await _current_steps(domain, sequence_id)
    assert number == 2 and steps[0]["template"] == VARIANT and "variant_template" not in steps[0]
    async with domain.sessionmaker() as session:
        [record] = (
            await session.scalars(select(AuditRecord).where(AuditRecord.action == "nurture.ab_promote"))
        ).all()
    assert record.details["winner"] == "B" and record.details["template"] == VARIANT
    assert record.details["p_value"] < 0.001
    again = await client.post(
        f"/nurture/sequences/{sequence_id}/steps/1/promote", data={"_csrf_token": token}
    )
    assert again.status_code == 409 and "Step 1 has no A/B test running." in again.text


@pytest.mark.parametrize(
    ("a", "b", "said"),
    [
        ((120, 1000), (135, 1000), "No winner yet: 12.0% against 13.5% could be chance (p = 0.31)."),
        ((10, 100), (30, 100), "Too early: 100 of the"),
        ((0, 0), (0, 0), "Neither variant has been sent yet."),
    ],
)
async def test_without_a_winner_promotion_is_refused_saying_why(client, nurture_domain, a, b, said):
    domain = nurture_domain
    freeze(domain, daytime())
    practice, sequence_id, version_id, lead_id = await _sequence_with_test(domain)
    await seed_ab_results(domain, practice, version_id, lead_id, a=a, b=b)
    await sign_in(client, domain, MAYA)
    page = await client.get(f"/nurture/sequences/{sequence_id}")
    assert "the only message" not in page.text  # no button without a winner
    refused = await client.post(
        f"/nurture/sequences/{sequence_id}/steps/1/promote", data={"_csrf_token": await csrf_of(client)}
    )
    assert refused.status_code == 409
    assert "Not promoted" in refused.text and "There is no winner to promote yet." in refused.text
    assert said in refused.text
    assert (await _current_steps(domain, sequence_id))[0] == 1


async def test_the_front_desk_cannot_promote(client, nurture_domain):
    domain = nurture_domain
    freeze(domain, daytime())
    practice, sequence_id, version_id, lead_id = await _sequence_with_test(domain)
    await seed_ab_results(domain, practice, version_id, lead_id, a=(100, 1000), b=(160, 1000))
    await sign_in(client, domain, DESK)
    refused = await client.post(
        f"/nurture/sequences/{sequence_id}/steps/1/promote", data={"_csrf_token": await csrf_of(client)}
    )
    assert refused.status_code == 403
    assert (await _current_steps(domain, sequence_id))[0] == 1
