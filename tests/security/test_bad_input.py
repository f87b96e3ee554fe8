"""Bad input never causes a 500: each case is a 4xx problem+json naming what is wrong, and stores nothing."""

from __future__ import annotations

import json

import pytest

from tests.attribution_product.support import SITE_KEY, SITE_ORIGIN, practice_with_site, visit
from tests.factories import inquiry, make_practice, open_staff_session, signed
from tests.intake.helpers import NOTHING, stored_counts

pytestmark = pytest.mark.integration


@pytest.fixture
async def practice(domain):
    return await make_practice(domain, staff={"desk@bright.example": {}})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("utm_source", "goo\x00gle"),
        ("visitor_id", "v\x00123456789"),
        ("landing_page", "https://brightsmile.example/\x00"),
        ("first_name", "Ana\ud800"),
        ("message", "\x00"),
    ],
)
async def test_nul_and_broken_unicode_in_a_signed_form_are_422_naming_the_field(
    client, domain, practice, field, value
):
    raw = json.dumps(inquiry(**{field: value})).encode()  # json.dumps escapes both as \\u0000 / \\ud800
    raw, headers = signed(raw, practice.secret)
    answer = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in answer.json()["errors"]] == [field]
    assert await stored_counts(domain) == NOTHING


async def test_a_nul_in_a_form_encoded_field_name_is_422(client, domain, practice):
    raw, headers = signed(
        b"first_name=Ana&phone=5128675309&bad%00name=x",
        practice.secret,
        content_type="application/x-www-form-urlencoded",
    )
    answer = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    assert answer.status_code == 422 and "bad\\x00name" in answer.json()["errors"][0]["field"]
    assert await stored_counts(domain) == NOTHING


async def test_a_deeply_nested_body_is_400_not_a_crash(client, domain, practice):
    raw, headers = signed(b"[" * 5000 + b"]" * 5000, practice.secret)
    answer = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    assert answer.status_code == 400 and "nested too deeply" in answer.json()["detail"]
    assert await stored_counts(domain) == NOTHING


async def test_the_collection_endpoint_refuses_deep_arrays_and_nul_without_a_login(client, domain):
    await practice_with_site(domain)
    headers = {"origin": SITE_ORIGIN, "content-type": "text/plain"}
    deep = await client.post(f"/collect/{SITE_KEY}", content=b"[" * 1500 + b"]" * 1500, headers=headers)
    assert deep.status_code == 422, deep.text
    body = visit("visitor-123456", "visit-1234567", "https://brightsmile.example/\x00braces")
    nul = await client.post(f"/collect/{SITE_KEY}", content=json.dumps(body), headers=headers)
    assert nul.status_code == 422 and nul.json()["errors"][0]["field"] == "url"


async def test_an_impossible_status_filter_is_400_naming_the_parameter(client, domain, practice):
    client.cookies.set("lr_session", await open_staff_session(domain, practice.staff["desk@bright.example"]))
    answer = await client.get("/api/leads", params={"status": "\x00"})
    assert answer.status_code == 400 and "status" in answer.text
