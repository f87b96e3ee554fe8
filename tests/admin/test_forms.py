"""The web forms screen: a new form's secret shown once, rotation with the old secret still good for a
day, the last deliveries with their outcome and reason, and a test inquiry that lands on the board."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from router.core.models import AuditRecord, Lead
from tests.admin.conftest import sign_in
from tests.factories import inquiry, signed

pytestmark = pytest.mark.integration


async def deliver(client, key, secret, **fields):
    body, headers = signed(inquiry(**fields), secret)
    return await client.post(f"/webhooks/forms/{key}", content=body, headers=headers)


async def test_a_new_form_shows_its_secret_once_and_rotation_keeps_the_old_one_for_a_day(
    client, domain, practices
):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    made = await client.post(
        "/admin/forms", data={"name": "Invisalign page", "default_location_id": ""}, headers=csrf
    )
    assert made.status_code == 201
    secret = re.search(r'id="secret">(whsec_[^<]+)<', made.text).group(1)
    key = re.search(r"/webhooks/forms/([a-z0-9-]+)", made.text).group(1)
    source_id = re.search(r'action="/admin/forms/([0-9a-f-]{36})/secret"', made.text).group(1)
    assert secret not in (await client.get(f"/admin/forms/{source_id}")).text
    assert (await deliver(client, key, secret)).status_code == 201

    rotated = await client.post(f"/admin/forms/{source_id}/secret", headers=csrf)
    fresh = re.search(r'id="secret">(whsec_[^<]+)<', rotated.text).group(1)
    assert fresh != secret and "keeps working for 24 hours" in rotated.text
    assert (
        await deliver(client, key, secret, phone="(512) 555-0101", email="a1@example.com")
    ).status_code == 201
    assert (
        await deliver(client, key, fresh, phone="(512) 555-0102", email="a2@example.com")
    ).status_code == 201
    async with domain.sessionmaker() as session:
        actions = (
            await session.scalars(select(AuditRecord.action).where(AuditRecord.action.like("form_source.%")))
        ).all()
    assert sorted(actions) == ["form_source.created", "form_source.secret_rotated"]


async def test_the_last_deliveries_say_what_was_accepted_and_why_others_were_refused(
    client, domain, practices
):
    bright = practices.bright
    assert (await deliver(client, bright.form_key, bright.secret)).status_code == 201
    assert (await deliver(client, bright.form_key, "whsec_" + "A" * 44)).status_code == 401
    assert (
        await deliver(client, bright.form_key, bright.secret, first_name="", phone=None, email=None)
    ).status_code == 422
    await sign_in(client, domain, practices.user("admin@bright.example"))
    listing = await client.get("/admin/forms")
    source_id = re.search(r'href="/admin/forms/([0-9a-f-]{36})"', listing.text).group(1)
    page = await client.get(f"/admin/forms/{source_id}")
    rows = re.findall(r"<tr>(.*?)</tr>", page.text, re.S)[1:]
    assert len(rows) == 3
    assert (
        "validation failed (phone: a phone number or an email address is required)" in rows[0]
        and "(422)" in rows[0]
    )
    assert "signature:" in rows[1] and "(401)" in rows[1]
    assert "accepted: new lead" in rows[2] and "/leads/" in rows[2]
    assert "Ana" not in page.text and "Lopez" not in page.text  # no patient data in the list


async def test_a_test_inquiry_becomes_a_lead_on_the_board(client, domain, practices):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    listing = await client.get("/admin/forms")
    source_id = re.search(r'href="/admin/forms/([0-9a-f-]{36})"', listing.text).group(1)
    sent = await client.post(f"/admin/forms/{source_id}/test", headers=csrf)
    assert sent.status_code == 200 and "The test inquiry arrived" in sent.text
    lead_id = re.search(r'<a href="/leads/([0-9a-f-]{36})">open it</a>', sent.text).group(1)
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
    assert lead.status == "open" and lead.practice_id == practices.bright.practice.id
    assert "test inquiry" in sent.text.lower() and "(201)" in sent.text
    board = await client.get("/")
    assert lead_id in board.text and "Test Inquiry" in board.text


async def test_managers_may_not_handle_secrets_and_other_practices_forms_do_not_exist(
    client, domain, practices
):
    csrf = await sign_in(client, domain, practices.user("maya@bright.example"))
    assert (await client.get("/admin/forms")).status_code == 403
    await sign_in(client, domain, practices.user("admin@other.example"))
    listing = await client.get("/admin/forms")
    other_id = re.search(r'href="/admin/forms/([0-9a-f-]{36})"', listing.text).group(1)
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    assert (await client.get(f"/admin/forms/{other_id}")).status_code == 404
    assert (await client.post(f"/admin/forms/{other_id}/secret", headers=csrf)).status_code == 404
    assert (await client.post(f"/admin/forms/{other_id}/test", headers=csrf)).status_code == 404
