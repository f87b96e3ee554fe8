"""Managers' alert wording as templates: shipped wording approved as version 1, edits approved by another."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from router.core.models import ManagerAlert, NurtureTemplate, NurtureTemplateVersion
from router.leads.escalation import escalate_lead
from router.practices.alert_wording import LEVEL_2, PMS_SYNC_FAILING, alert_text
from tests.escalation.support import freeze, new_lead
from tests.factories import csrf_of, make_practice, sign_in

pytestmark = pytest.mark.integration

MAYA, MAX = "maya@bright.example", "max@bright.example"
WEDNESDAY_10AM_CHICAGO = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)


async def _as(client, domain, email):  # type: ignore[no-untyped-def]
    client.cookies.clear()
    await sign_in(client, domain, email)
    return await csrf_of(client)


async def _alert_template(domain, key):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return await session.scalar(select(NurtureTemplate).where(NurtureTemplate.key == key))


async def _level_2_message(domain, clock, practice):  # type: ignore[no-untyped-def]
    lead = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(minutes=5))
    await escalate_lead(domain, lead.id, 1)
    clock.advance(timedelta(minutes=15))
    await escalate_lead(domain, lead.id, 2)
    async with domain.sessionmaker() as session:
        alert = await session.scalar(
            select(ManagerAlert).where(ManagerAlert.lead_id == lead.id, ManagerAlert.level == 2)
        )
    return alert.message, lead.id


async def test_without_templates_the_alerts_say_what_they_always_said(domain):
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain)
    message, lead_id = await _level_2_message(domain, clock, practice)
    assert message == (
        f"Lead waiting 20 min at Downtown Office, still not contacted. Open the board: "
        f"{domain.settings.intake.public_url.rstrip('/')}/leads/{lead_id}"
    )


async def test_an_edited_alert_sends_only_once_another_manager_approves_it(client, domain):
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain, staff={MAYA: {"role": "manager"}, MAX: {"role": "manager"}})
    token = await _as(client, domain, MAYA)
    assert (await client.post("/nurture/starter", data={"_csrf_token": token})).status_code == 303
    template = await _alert_template(domain, LEVEL_2)
    assert template.channel == "staff" and template.approved_version_id is not None  # shipped, approved
    page = await client.get(f"/nurture/templates/{template.id}")
    assert "Alert to managers" in page.text and "Sending now: version 1" in page.text
    assert "Lead waiting 12 min at Downtown Office, still not contacted." in page.text  # the preview

    bad = await client.post(
        f"/nurture/templates/{template.id}",
        data={"_csrf_token": token, "body": "{{ first_name }} waited {{ minutes }} min"},
    )
    assert bad.status_code == 422 and "Unknown variable {{ first_name }}" in bad.text
    edited = "Still nobody has called a lead at {{ location_name }} ({{ minutes }} min): {{ link }}"
    form = {"_csrf_token": token, "body": edited}
    saved = await client.post(f"/nurture/templates/{template.id}", data=form)
    assert saved.status_code == 303
    message, _ = await _level_2_message(domain, clock, practice)
    assert message.startswith("Lead waiting 20 min")  # a draft sends nothing

    async with domain.sessionmaker() as session:
        draft = await session.scalar(
            select(NurtureTemplateVersion).where(
                NurtureTemplateVersion.template_id == template.id, NurtureTemplateVersion.status == "draft"
            )
        )
    own = await client.post(
        f"/nurture/templates/{template.id}/versions/{draft.id}/approve", data={"_csrf_token": token}
    )
    assert own.status_code == 409
    token = await _as(client, domain, MAX)
    approved = await client.post(
        f"/nurture/templates/{template.id}/versions/{draft.id}/approve", data={"_csrf_token": token}
    )
    assert approved.status_code == 303
    message, _ = await _level_2_message(domain, clock, practice)
    assert message.startswith("Still nobody has called a lead at Downtown Office (20 min): http")


async def test_a_pms_alert_keeps_its_subject_and_fills_the_error(domain):
    practice = await make_practice(domain)
    async with domain.sessionmaker() as session:
        text = await alert_text(session, practice.practice.id, PMS_SYNC_FAILING, {"error": "HTTP 503"})
    assert text.subject == "The practice-management sync has been failing for 30 minutes"
    assert "The last answer was: HTTP 503. Leads keep arriving as usual" in text.body
