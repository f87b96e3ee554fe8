"""The signed form webhook: good deliveries, every bad-input path, replays and concurrency."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from router.core.models import Lead, Touchpoint
from router.intake.form_sources import rotate_secret
from tests.factories import inquiry, make_practice, signed
from tests.intake.helpers import NOTHING, stored_counts

pytestmark = pytest.mark.integration


@pytest.fixture
async def practice(domain):
    return await make_practice(domain, staff={"desk@bright.example": {}})


def url(practice) -> str:
    return f"/webhooks/forms/{practice.form_key}"


async def test_json_inquiry_creates_assigned_lead_with_touchpoint(client, domain, practice):
    raw, headers = signed(inquiry(), practice.secret)
    response = await client.post(url(practice), content=raw, headers=headers)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "created"
    assert body["assigned_user_id"] == str(practice.staff["desk@bright.example"].id)
    assert body["score"] is None  # no model yet: unscored, never a made-up number
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, body["lead_id"])
        touchpoint = await session.scalar(select(Touchpoint).where(Touchpoint.lead_id == lead.id))
    assert lead.source_channel == "google_ads"
    assert lead.sla_due_at == lead.received_at + timedelta(minutes=5)
    assert (touchpoint.utm_campaign, touchpoint.gclid, touchpoint.pages_visited) == (
        "braces-austin",
        "Cj0KCQiA",
        4,
    )
    assert (touchpoint.device_type, touchpoint.form_completion_seconds, touchpoint.time_on_site_seconds) == (
        "mobile",
        48,
        210,
    )
    counts = await stored_counts(domain)
    assert counts == {"leads": 1, "touchpoints": 1, "events": 1, "audit": 1, "consents": 1, "idempotency": 1}


async def test_form_encoded_inquiry_is_accepted(client, domain, practice):
    fields = inquiry(sms_consent="on", pages_visited="3")
    raw, headers = signed(
        urlencode(fields).encode(), practice.secret, content_type="application/x-www-form-urlencoded"
    )
    response = await client.post(url(practice), content=raw, headers=headers)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "tamper",
    [
        "no_headers",
        "wrong_secret",
        "altered_body",
        "stale_timestamp",
        "future_timestamp",
        "garbage_signature",
    ],
)
async def test_bad_signature_is_401_and_stores_nothing(client, domain, practice, tamper):
    raw, headers = signed(inquiry(), practice.secret)
    if tamper == "no_headers":
        headers = {"content-type": "application/json"}
    elif tamper == "wrong_secret":
        raw, headers = signed(inquiry(), "whsec_" + "A" * 43 + "=")
    elif tamper == "altered_body":
        raw = raw.replace(b"Ana", b"Eve")
    elif tamper == "stale_timestamp":
        raw, headers = signed(inquiry(), practice.secret, at=domain.clock.now() - timedelta(minutes=6))
    elif tamper == "future_timestamp":
        raw, headers = signed(inquiry(), practice.secret, at=domain.clock.now() + timedelta(minutes=6))
    elif tamper == "garbage_signature":
        headers["webhook-signature"] = "v1,not-base64!!"
    response = await client.post(url(practice), content=raw, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await stored_counts(domain) == NOTHING


async def test_rotated_secret_accepts_old_and_new_and_several_signatures(client, domain, practice):
    async with domain.sessionmaker() as session, session.begin():
        new_secret = await rotate_secret(session, domain, key=practice.form_key)
    for secret, name in ((practice.secret, "Ana"), (new_secret, "Bea")):
        raw, headers = signed(
            inquiry(first_name=name, email=f"{name}@example.com", phone=None, sms_consent=None), secret
        )
        assert (await client.post(url(practice), content=raw, headers=headers)).status_code == 201
    raw, headers = signed(
        inquiry(first_name="Cy", email="cy@example.com", phone=None, sms_consent=None), new_secret
    )
    old_signature = signed(raw, practice.secret, webhook_id=headers["webhook-id"])[1]["webhook-signature"]
    headers["webhook-signature"] = f"{old_signature} {headers['webhook-signature']}"
    assert (await client.post(url(practice), content=raw, headers=headers)).status_code == 201


async def test_unknown_form_source_is_404(client, domain, practice):
    raw, headers = signed(inquiry(), practice.secret)
    response = await client.post("/webhooks/forms/nope", content=raw, headers=headers)
    assert response.status_code == 404
    assert await stored_counts(domain) == NOTHING


async def test_invalid_fields_are_422_naming_each_field(client, domain, practice):
    bad = inquiry(
        phone="12",
        email="not-an-email",
        zip="7870",
        treatment_interest="teeth",
        pages_visited=-3,
        date_of_birth="2999-01-01",
        submitted_at="yesterday",
    )
    raw, headers = signed(bad, practice.secret)
    response = await client.post(url(practice), content=raw, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {
        "phone",
        "email",
        "zip",
        "treatment_interest",
        "pages_visited",
        "date_of_birth",
        "submitted_at",
    }
    assert await stored_counts(domain) == NOTHING


async def test_missing_name_and_contact_are_named(client, domain, practice):
    raw, headers = signed({"message": "hello"}, practice.secret)
    response = await client.post(url(practice), content=raw, headers=headers)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"first_name", "phone"}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (json.dumps({"first_name": {"nested": 1}}).encode(), "application/json", 422),
        (b"first_name=Ana", "text/plain", 415),
        (b"\xff\xfe", "application/x-www-form-urlencoded", 401),
    ],
)
async def test_unreadable_bodies_are_refused(client, domain, practice, body, content_type, status):
    raw, headers = signed(body, practice.secret, content_type=content_type) if status != 401 else (body, {})
    if status == 401:
        headers = signed(b"x", practice.secret, content_type=content_type)[1]
    response = await client.post(url(practice), content=raw, headers=headers)
    assert response.status_code == status
    assert await stored_counts(domain) == NOTHING


async def test_oversized_body_is_413(client, domain, practice):
    raw, headers = signed(inquiry(message="x" * 70_000), practice.secret)
    response = await client.post(url(practice), content=raw, headers=headers)
    assert response.status_code == 413
    assert await stored_counts(domain) == NOTHING


async def test_replay_answers_the_same_and_stores_nothing_new(client, domain, practice):
    raw, headers = signed(inquiry(), practice.secret)
    first = await client.post(url(practice), content=raw, headers=headers)
    before = await stored_counts(domain)
    again = await client.post(url(practice), content=raw, headers=headers)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await stored_counts(domain) == before


async def test_same_delivery_id_with_another_body_is_409(client, domain, practice):
    raw, headers = signed(inquiry(), practice.secret, webhook_id="msg_fixed")
    assert (await client.post(url(practice), content=raw, headers=headers)).status_code == 201
    before = await stored_counts(domain)
    raw, headers = signed(inquiry(first_name="Zed"), practice.secret, webhook_id="msg_fixed")
    response = await client.post(url(practice), content=raw, headers=headers)
    assert response.status_code == 409
    assert await stored_counts(domain) == before


async def test_fifty_concurrent_deliveries_of_one_id_make_one_lead(client, domain, practice):
    raw, headers = signed(inquiry(), practice.secret)
    responses = await asyncio.gather(
        *(client.post(url(practice), content=raw, headers=headers) for _ in range(50))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["lead_id"] for r in responses}) == 1
    counts = await stored_counts(domain)
    assert (counts["leads"], counts["touchpoints"], counts["events"]) == (1, 1, 1)


async def post(client, practice, **fields):
    raw, headers = signed(inquiry(**fields), practice.secret)
    response = await client.post(url(practice), content=raw, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_same_email_merges_into_the_open_lead(client, domain, practice):
    first = await post(client, practice, phone=None, sms_consent=None)
    second = await post(
        client, practice, phone="512-555-0199".replace("555-0199", "867-5310"), first_name="Ana"
    )
    assert second["status"] == "merged" and second["lead_id"] == first["lead_id"]
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, first["lead_id"])
    assert lead.touch_count == 2 and lead.phone_index is not None  # the phone it lacked was filled in


async def test_same_phone_with_same_or_no_name_merges(client, domain, practice):
    first = await post(client, practice, email=None)
    same_name = await post(client, practice, email=None, first_name="ana", last_name="LOPEZ")
    no_name_lead = await post(client, practice, email="x@example.com", first_name=None, last_name="Lopez")
    assert same_name["lead_id"] == first["lead_id"] == no_name_lead["lead_id"]


async def test_same_phone_with_another_name_is_a_new_lead_of_the_same_household(client, domain, practice):
    parent = await post(client, practice, email=None, first_name="Ana")
    child = await post(client, practice, email=None, first_name="Mateo")
    sibling = await post(client, practice, email=None, first_name="Lucia")
    assert child["status"] == "created" and child["lead_id"] != parent["lead_id"]
    assert child["household_lead_id"] == parent["lead_id"] == sibling["household_lead_id"]


async def test_another_person_is_a_separate_lead(client, domain, practice):
    first = await post(client, practice)
    other = await post(client, practice, first_name="Bo", email="bo@example.com", phone="(737) 555-2368")
    assert other["status"] == "created" and other["household_lead_id"] is None
    assert other["lead_id"] != first["lead_id"]


async def test_closed_leads_are_not_merged_into(client, domain, practice):
    first = await post(client, practice)
    async with domain.sessionmaker() as session, session.begin():
        (await session.get(Lead, first["lead_id"])).status = "closed"
    again = await post(client, practice)
    assert again["status"] == "created"
