"""The practice settings screen: a form (no JSON), refused whole with every bad field named, audited,
concurrent saves detected, and live at once: the next webhook's deadline uses the new SLA minutes."""

from __future__ import annotations

import html as htmllib
from datetime import timedelta

import pytest
from sqlalchemy import select

from router.core.models import AuditRecord, Lead, Practice
from router.practices.settings_admin import record_configuration_change
from tests.admin.conftest import form_values, sign_in
from tests.factories import inquiry, signed

pytestmark = pytest.mark.integration


async def test_the_sla_minutes_saved_on_the_screen_set_the_next_webhooks_deadline(client, domain, practices):
    bright = practices.bright
    csrf = await sign_in(client, domain, practices.user("maya@bright.example"))
    page = await client.get("/admin/settings")
    assert page.status_code == 200 and "Minutes to first contact" in page.text
    assert "{" not in htmllib.unescape(page.text.split("<form", 1)[1])  # no JSON anywhere in the form
    body, headers = signed(inquiry(), bright.secret)
    first = await client.post("/webhooks/forms/" + bright.form_key, content=body, headers=headers)
    assert first.status_code in (200, 201)  # the practice's settings are now cached in this process

    form = form_values(page.text) | {"sla_minutes": "12"}
    saved = await client.post("/admin/settings", data=form, headers=csrf)
    assert saved.status_code == 303, saved.text
    assert "Saved" in (await client.get(saved.headers["location"])).text

    body, headers = signed(inquiry(phone="(512) 555-0142", email="second@example.com"), bright.secret)
    answer = await client.post("/webhooks/forms/" + bright.form_key, content=body, headers=headers)
    assert answer.status_code == 201, answer.text
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, answer.json()["lead_id"])
        record = await session.scalar(
            select(AuditRecord).where(AuditRecord.action == "practice.settings_changed")
        )
    assert lead.sla_due_at - lead.received_at == timedelta(minutes=12)
    assert record.details["changes"] == {"settings.sla_minutes": [5, 12]}


async def test_bad_values_are_each_named_beside_their_field_and_nothing_is_saved(client, domain, practices):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    page = await client.get("/admin/settings")
    form = form_values(page.text) | {
        "sla_minutes": "five",
        "assignment.priority_score": "140",
        "fallback.phone": "12",
        "fallback.email": "owner-at-example",
    }
    answer = await client.post("/admin/settings", data=form, headers=csrf)
    assert answer.status_code == 422
    text = answer.text
    assert 'id="error-summary"' in text
    for field, words in (
        ("sla_minutes", "Minutes to first contact must be a whole number"),
        ("assignment-priority_score", "Priority score must be between 1 and 100"),
        ("fallback-phone", "The fallback phone must be a phone number"),
        ("fallback-email", "The fallback email must be an email address"),
    ):
        assert f'href="#{field}"' in text and f'id="{field}-error"' in text and words in text, field
    assert 'value="five"' in text  # what was typed stays in the form
    async with domain.sessionmaker() as session:
        practice = await session.get(Practice, practices.bright.practice.id)
        assert practice.settings == {} and practice.revision == 1
        assert (
            await session.scalar(select(AuditRecord).where(AuditRecord.action == "practice.settings_changed"))
            is None
        )


async def test_a_second_save_from_the_same_page_is_refused_naming_who_saved_first(client, domain, practices):
    maya = await sign_in(client, domain, practices.user("maya@bright.example"))
    loaded = form_values((await client.get("/admin/settings")).text)
    assert (
        await client.post("/admin/settings", data=loaded | {"sla_minutes": "7"}, headers=maya)
    ).status_code == 303
    admin = await sign_in(client, domain, practices.user("admin@bright.example"))
    late = await client.post("/admin/settings", data=loaded | {"claim_timeout_minutes": "20"}, headers=admin)
    assert late.status_code == 409
    assert "changed by Maya at" in late.text and "reload" in late.text.lower()
    async with domain.sessionmaker() as session:
        practice = await session.get(Practice, practices.bright.practice.id)
    assert practice.settings["sla_minutes"] == 7 and practice.settings["claim_timeout_minutes"] == 10


async def test_on_call_hours_and_alert_contacts_are_edited_as_a_form(client, domain, practices):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    page = await client.get("/admin/settings")
    lee = practices.user("lee@bright.example")
    prefix = f"oncall-{lee.id.hex}"
    form = form_values(page.text) | {
        f"{prefix}-phone": "(512) 555-0177",
        f"{prefix}-mode": "scheduled",
        f"{prefix}-sat-1-from": "09:00",
        f"{prefix}-sat-1-until": "13:00",
        f"{prefix}-mon-1-from": "00:00",
        f"{prefix}-mon-1-until": "00:00",
        "fallback.email": "Owner@Bright.example",
    }
    assert (await client.post("/admin/settings", data=form, headers=csrf)).status_code == 303
    async with domain.sessionmaker() as session:
        practice = await session.get(Practice, practices.bright.practice.id)
        phone = (await session.get(type(lee), lee.id)).phone
    assert practice.settings["manager_on_call"] == {
        "lee@bright.example": {"mon": [["00:00", "24:00"]], "sat": [["09:00", "13:00"]]}
    }
    assert practice.settings["alert_fallback_contact"] == {"phone": None, "email": "owner@bright.example"}
    assert phone == "+15125550177"

    reloaded = form_values((await client.get("/admin/settings")).text)
    refused = await client.post(
        "/admin/settings", data=reloaded | {f"{prefix}-sat-1-until": "08:00"}, headers=csrf
    )
    assert (
        refused.status_code == 422 and "Lee: Saturday: 09:00 to 08:00 closes before it opens." in refused.text
    )


async def test_another_processs_cached_settings_are_dropped_by_its_hub_on_the_event(
    client, domain, runtime, practices
):
    from router.intake.practice_view import load_practice
    from web.board_fragments import make_board_hub

    practice_id = practices.bright.practice.id
    hub = make_board_hub(domain, runtime.redis, poll_seconds=60, heartbeat_seconds=3600)
    await hub.deliver_once()
    assert (await load_practice(domain, practice_id)).settings.sla_minutes == 5
    async with domain.sessionmaker() as session, session.begin():  # another process saves
        row = await session.get(Practice, practice_id)
        row.settings = {"sla_minutes": 9}
        await record_configuration_change(session, practice_id, "settings")
    assert (await load_practice(domain, practice_id)).settings.sla_minutes == 5  # this copy is stale
    await hub.deliver_once()  # what the hub does on the doorbell or its 2 s poll
    assert (await load_practice(domain, practice_id)).settings.sla_minutes == 9


async def test_front_desk_cannot_open_or_save_the_settings(client, domain, practices):
    csrf = await sign_in(client, domain, practices.user("ana@bright.example"))
    assert (await client.get("/admin/settings")).status_code == 403
    assert (await client.post("/admin/settings", data={"sla_minutes": "1"}, headers=csrf)).status_code == 403
