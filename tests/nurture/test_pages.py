"""The follow-up screens: ready-made sequences, wording approval rules, steps built from lists."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from router.core.models import AuditRecord, NurtureSequence, NurtureTemplate, NurtureTemplateVersion
from tests.factories import csrf_of, make_practice, sign_in

pytestmark = pytest.mark.integration

MAYA, MAX, DESK = "maya@bright.example", "max@bright.example", "desk@bright.example"


async def _practice(domain, *managers):  # type: ignore[no-untyped-def]
    staff = {email: {"role": "manager"} for email in managers}
    staff[DESK] = {"role": "front_desk"}
    return await make_practice(domain, staff=staff)


async def _as(client, domain, email):  # type: ignore[no-untyped-def]
    client.cookies.clear()
    await sign_in(client, domain, email)
    return await csrf_of(client)


async def _template(domain, key="orthodontics-text"):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return await session.scalar(
            select(NurtureTemplate).where(NurtureTemplate.key == key, NurtureTemplate.language == "en")
        )


async def test_an_author_cannot_approve_their_own_wording_another_manager_can(client, domain):
    await _practice(domain, MAYA, MAX)
    token = await _as(client, domain, MAYA)
    assert (await client.post("/nurture/starter", data={"_csrf_token": token})).status_code == 303
    template = await _template(domain)
    page = await client.get(f"/nurture/templates/{template.id}")
    assert "Reply STOP to opt out" in page.text and "Maria" in page.text  # preview with a sample lead
    edited = "Hi {{ first_name }}, your braces consult is ready at {{ practice_name }}: https://bit.ly/x"
    saved = await client.post(
        f"/nurture/templates/{template.id}", data={"_csrf_token": token, "body": edited}
    )
    assert saved.status_code == 303
    page = await client.get(f"/nurture/templates/{template.id}")
    assert "You wrote this version: someone else must approve it." in page.text
    assert "A text mentions care or symptoms" in page.text and "Links to bit.ly" in page.text
    assert "should say how to stop them" in page.text
    async with domain.sessionmaker() as session:
        draft = await session.scalar(
            select(NurtureTemplateVersion).where(
                NurtureTemplateVersion.template_id == template.id, NurtureTemplateVersion.version == 2
            )
        )
    own = await client.post(
        f"/nurture/templates/{template.id}/versions/{draft.id}/approve", data={"_csrf_token": token}
    )
    assert own.status_code == 409 and "someone else must approve it" in own.text

    token = await _as(client, domain, MAX)
    approved = await client.post(
        f"/nurture/templates/{template.id}/versions/{draft.id}/approve", data={"_csrf_token": token}
    )
    assert approved.status_code == 303
    assert (await _template(domain)).approved_version_id == draft.id
    async with domain.sessionmaker() as session:
        actions = set(await session.scalars(select(AuditRecord.action)))
    assert {"nurture.template_draft", "nurture.template_approve"} <= actions


async def test_a_bad_draft_is_refused_beside_its_field_and_nothing_is_saved(client, domain):
    await _practice(domain, MAYA, MAX)
    token = await _as(client, domain, MAYA)
    await client.post("/nurture/starter", data={"_csrf_token": token})
    template = await _template(domain, "orthodontics-welcome")
    answer = await client.post(
        f"/nurture/templates/{template.id}",
        data={"_csrf_token": token, "subject": "", "body": "Hi {{ last_name }}"},
    )
    assert answer.status_code == 422
    assert "An email needs a subject." in answer.text and "Unknown variable {{ last_name }}." in answer.text
    async with domain.sessionmaker() as session:
        count = len(
            (
                await session.scalars(
                    select(NurtureTemplateVersion).where(NurtureTemplateVersion.template_id == template.id)
                )
            ).all()
        )
    assert count == 1


async def test_a_single_manager_practice_must_name_a_second_approver_before_switching_on(client, domain):
    await _practice(domain, MAYA)
    token = await _as(client, domain, MAYA)
    await client.post("/nurture/starter", data={"_csrf_token": token})
    overview = await client.get("/nurture")
    assert "name a second approver in the nurture settings" in overview.text
    async with domain.sessionmaker() as session:
        sequence = await session.scalar(
            select(NurtureSequence).where(NurtureSequence.treatment == "implants")
        )
    refused = await client.post(
        f"/nurture/sequences/{sequence.id}/active", data={"_csrf_token": token, "on": "1"}
    )
    assert refused.status_code == 409 and "second approver" in refused.text
    desk_id = re.search(r'<option value="([0-9a-f-]{36})">Desk</option>', overview.text).group(1)
    saved = await client.post(
        "/nurture/settings",
        data={
            "_csrf_token": token,
            "second_approver_user_id": desk_id,
            "emails_per_hour": "200",
            "texts_per_hour": "100",
        },
    )
    assert saved.status_code == 303
    switched = await client.post(
        f"/nurture/sequences/{sequence.id}/active", data={"_csrf_token": token, "on": "1"}
    )
    assert switched.status_code == 303


async def test_steps_are_added_from_lists_and_each_change_is_a_new_version(client, domain):
    await _practice(domain, MAYA, MAX)
    token = await _as(client, domain, MAYA)
    await client.post("/nurture/starter", data={"_csrf_token": token})
    async with domain.sessionmaker() as session:
        sequence = await session.scalar(
            select(NurtureSequence).where(NurtureSequence.treatment == "cosmetic")
        )
    url = f"/nurture/sequences/{sequence.id}/steps"
    bad = await client.post(
        url,
        data={
            "_csrf_token": token,
            "change": "add",
            "wait_amount": "x",
            "wait_unit": "days",
            "action": "email",
        },
    )
    assert (
        bad.status_code == 422
        and "The wait must be a whole number" in bad.text
        and "Choose the email to send." in bad.text
    )
    added = await client.post(
        url,
        data={
            "_csrf_token": token,
            "change": "add",
            "wait_amount": "2",
            "wait_unit": "hours",
            "action": "sms",
            "template": "cosmetic-text",
        },
    )
    assert added.status_code == 303
    branched = await client.post(
        url,
        data={
            "_csrf_token": token,
            "change": "branch",
            "step": "1",
            "branch_on": "replied",
            "branch_to": "5",
        },
    )
    assert branched.status_code == 303
    page = await client.get(f"/nurture/sequences/{sequence.id}")
    assert "<svg" in page.text and "if replied" in page.text and "Version 3." in page.text
    async with domain.sessionmaker() as session:
        sequence = await session.get(NurtureSequence, sequence.id)
    assert sequence.current_version == 3


async def test_front_desk_cannot_open_the_follow_up_screens(client, domain):
    await _practice(domain, MAYA, MAX)
    await _as(client, domain, DESK)
    assert (await client.get("/nurture", headers={"accept": "text/html"})).status_code == 403


async def test_approving_the_missed_call_wording_makes_it_the_text_back(client, domain):
    from router.core.models import PracticePhoneSettings

    practice = await _practice(domain, MAYA, MAX)
    async with domain.sessionmaker() as session, session.begin():
        session.add(
            PracticePhoneSettings(
                practice_id=practice.practice.id, missed_call_text_back=True, updated_at=domain.clock.now()
            )
        )
    token = await _as(client, domain, MAYA)
    await client.post("/nurture/starter", data={"_csrf_token": token})
    template = await _template(domain, "missed-call")
    async with domain.sessionmaker() as session:
        version = await session.scalar(
            select(NurtureTemplateVersion).where(NurtureTemplateVersion.template_id == template.id)
        )
    answer = await client.post(
        f"/nurture/templates/{template.id}/versions/{version.id}/approve", data={"_csrf_token": token}
    )
    assert answer.status_code == 303
    async with domain.sessionmaker() as session:
        phones = await session.get(PracticePhoneSettings, practice.practice.id)
    assert phones.text_back_message == (
        "Sorry we missed your call at Bright Dental! Reply here to text us, or call us back anytime. "
        "Reply STOP to opt out."
    )
