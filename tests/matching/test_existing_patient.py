"""A lead linked to a patient the practice already saw reads "Existing patient" on its card and page,
and the row pushed to every board carries nothing of it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from router.matching.patients import SyncedPatients
from router.matching.queue import match_practice
from tests.factories import make_practice, sign_in
from tests.matching.helpers import STAFF, new_lead, stored_patient, visit

pytestmark = pytest.mark.integration

MARISOL = {
    "first_name": "Marisol",
    "last_name": "Quintero",
    "phone": "(512) 555-0161",
    "email": "mq@example.com",
    "zip": "78704",
}


@pytest.fixture
async def bright(domain):
    return await make_practice(domain, staff=STAFF)


async def _linked_lead(domain, bright, *, visit_offset: timedelta | None):
    """Marisol's inquiry, her patient record (with a completed visit `visit_offset` from the inquiry),
    linked by the matcher."""
    lead = await new_lead(domain, bright, **MARISOL)
    patient = await stored_patient(domain, bright.practice.id, **{**MARISOL, "phone": "+15125550161"})
    if visit_offset is not None:
        await visit(domain, bright, patient, starts_at=domain.clock.now() + visit_offset)
    run = await match_practice(
        domain, SyncedPatients(domain.cipher), bright.practice.id, now=domain.clock.now()
    )
    assert run.linked == 1
    return lead


async def test_a_patient_seen_before_the_inquiry_is_marked_on_the_card_and_the_page(client, domain, bright):
    lead = await _linked_lead(domain, bright, visit_offset=-timedelta(days=200))
    await sign_in(client, domain, "desk@bright.example")
    card = await client.get(f"/board/leads/{lead}/contact")
    assert card.status_code == 200 and "Existing patient" in card.text
    page = await client.get(f"/leads/{lead}")
    assert page.status_code == 200 and "Existing patient" in page.text
    board = await client.get("/")
    assert board.status_code == 200 and str(lead) in board.text
    assert "Existing patient" not in board.text  # the pushed row stays without it: the card fetches it


@pytest.mark.parametrize("visit_offset", [None, timedelta(days=3)], ids=["no visit", "first visit after"])
async def test_a_new_patient_is_not_marked(client, domain, bright, visit_offset):
    lead = await _linked_lead(domain, bright, visit_offset=visit_offset)
    await sign_in(client, domain, "desk@bright.example")
    assert "Existing patient" not in (await client.get(f"/board/leads/{lead}/contact")).text
    assert "Existing patient" not in (await client.get(f"/leads/{lead}")).text


async def test_a_visit_of_an_unlinked_look_alike_marks_nothing(client, domain, bright):
    lead = await new_lead(domain, bright, **MARISOL)
    patient = await stored_patient(domain, bright.practice.id, first_name="Ada", last_name="Other")
    await visit(domain, bright, patient, starts_at=domain.clock.now() - timedelta(days=30))
    await sign_in(client, domain, "desk@bright.example")
    assert "Existing patient" not in (await client.get(f"/board/leads/{lead}/contact")).text
