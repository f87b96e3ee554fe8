"""Patient referrals (word of mouth): their own channel from a form field, the desk, or a patient's link."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from router.core.models import Lead, Touchpoint
from router.core.phi_columns import TOUCHPOINT_REFERRED_BY
from scoring.channels import CHANNELS, PATIENT_REFERRAL
from scoring.history_aliases import VALUE_ALIASES
from tests.attribution_product.support import SITE_ORIGIN, practice_with_site
from tests.factories import csrf_of, inquiry, open_staff_session, signed

pytestmark = pytest.mark.integration


async def post_form(client, practice, **fields):  # type: ignore[no-untyped-def]
    raw, headers = signed(inquiry(**fields), practice.secret)
    answer = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["lead_id"]


async def touchpoints(domain, lead_id):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
        found = (await session.scalars(select(Touchpoint).where(Touchpoint.lead_id == lead_id))).all()
    return lead, found


async def test_a_form_naming_who_sent_them_is_a_patient_referral_with_the_name_encrypted(client, domain):
    practice = await practice_with_site(domain)
    lead_id = await post_form(client, practice, referred_by="Carmen Ortiz", utm_source=None, gclid=None)
    lead, [touchpoint] = await touchpoints(domain, lead_id)
    assert lead.source_channel == touchpoint.channel == PATIENT_REFERRAL
    assert b"Carmen" not in bytes(touchpoint.referred_by_enc)
    opened = domain.cipher.open(
        touchpoint.referred_by_enc, column=TOUCHPOINT_REFERRED_BY, row_id=touchpoint.id
    )
    assert opened == "Carmen Ortiz"


async def test_a_walk_in_sent_by_a_patient_is_a_patient_referral(client, domain):
    practice = await practice_with_site(domain)
    desk = practice.staff["desk@bright.example"]
    client.cookies.set("lr_session", await open_staff_session(domain, desk))
    answer = await client.post(
        "/board/leads",
        data={
            "_csrf_token": await csrf_of(client),
            "nonce": "walk-1",
            "kind": "walk_in",
            "location_id": str(practice.locations["downtown"].id),
            "first_name": "Ivy",
            "phone": "(512) 555-0188",
            "referred_by": "her neighbour Carmen",
        },
    )
    assert answer.status_code == 201, answer.text
    lead, _ = await touchpoints(domain, answer.json()["lead_id"])
    assert (lead.source_kind, lead.source_channel) == ("walk_in", PATIENT_REFERRAL)


async def test_a_patients_link_marks_the_visit_and_the_inquiry_and_counts_them(client, domain):
    practice = await practice_with_site(domain)
    carmen = await post_form(
        client, practice, first_name="Carmen", phone="(512) 555-0111", email="c@example.com"
    )
    client.cookies.set("lr_session", await open_staff_session(domain, practice.staff["desk@bright.example"]))
    token = await csrf_of(client)
    made = await client.post(f"/leads/{carmen}/referral-link", data={"_csrf_token": token})
    code = re.search(r"\?lr_ref=([A-Z2-9]{8})", made.text).group(1)
    again = await client.post(f"/leads/{carmen}/referral-link", data={"_csrf_token": token})
    assert f"lr_ref={code}" in again.text and f"{SITE_ORIGIN}/?lr_ref={code}" in again.text

    client.cookies.clear()  # a visitor of the practice's website has no session here
    visit = {
        "visitor_id": "visitor-0001",
        "visit_id": "visit-0001",
        "url": f"{SITE_ORIGIN}/",
        "referral_code": code,
    }
    answer = await client.post(
        "/collect/bright-site",
        content=json.dumps(visit).encode(),
        headers={"origin": SITE_ORIGIN, "content-type": "text/plain"},
    )
    assert answer.status_code == 204, answer.text
    async with domain.sessionmaker() as session:
        landed = await session.scalar(select(Touchpoint).where(Touchpoint.kind == "web_visit"))
    assert landed.channel == PATIENT_REFERRAL and landed.details["referral_code"] == code

    friend = await post_form(
        client,
        practice,
        first_name="Dan",
        phone="(512) 555-0122",
        email="d@example.com",
        referral_code=code,
        visitor_id="visitor-0001",
        utm_source=None,
        gclid=None,
    )
    lead, [touchpoint] = await touchpoints(domain, friend)
    assert lead.source_channel == PATIENT_REFERRAL and touchpoint.details["referral_code"] == code
    client.cookies.set("lr_session", await open_staff_session(domain, practice.staff["desk@bright.example"]))
    shown = await client.get(f"/leads/{carmen}/referral-link")
    assert "1 inquiry came through it" in shown.text


def test_the_scorer_and_the_history_import_know_the_channel():
    assert CHANNELS[-1] == PATIENT_REFERRAL  # last: models trained before it keep their channel codes
    assert "word of mouth" in VALUE_ALIASES["channel"][PATIENT_REFERRAL]
