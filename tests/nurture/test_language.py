"""A web form's `language` field chooses the wording of the person's follow-up messages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from router.core.models import Lead, NurtureEnrolment, Touchpoint
from router.nurture.outbox import send_due_messages
from router.nurture.worker import nurture_tick
from tests.escalation.support import freeze
from tests.factories import inquiry, signed
from tests.nurture.support import daytime, nurture_practice

pytestmark = pytest.mark.integration


async def _post(client, practice, **fields):  # type: ignore[no-untyped-def]
    raw, headers = signed(inquiry(**fields), practice.secret)
    return await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)


async def test_a_form_in_spanish_gets_the_spanish_wording(client, nurture_domain, mailbox):
    domain = nurture_domain
    freeze(domain, daytime())
    practice = await nurture_practice(domain)
    answer = await _post(client, practice, language="es-MX", first_name="Lucía", email="lucia@example.com")
    assert answer.status_code == 201, answer.text
    english = await _post(client, practice, first_name="Ann", email="ann@example.com", phone="(512) 867-1111")
    assert english.status_code == 201
    async with domain.sessionmaker() as session:
        details = await session.scalar(
            select(Touchpoint.details).where(Touchpoint.lead_id == answer.json()["lead_id"])
        )
    assert details["language"] == "es"
    await nurture_tick(domain)
    await send_due_messages(domain)
    async with domain.sessionmaker() as session:
        languages = dict(
            (await session.execute(select(NurtureEnrolment.lead_id, NurtureEnrolment.language))).all()
        )
    assert {str(k): v for k, v in languages.items()} == {
        answer.json()["lead_id"]: "es",
        english.json()["lead_id"]: "en",
    }
    subjects = {to[0]: message["Subject"] for _, to, message in mailbox.messages}
    assert subjects["lucia@example.com"].startswith("Gracias por escribir a Bright Dental, Lucía")
    assert subjects["ann@example.com"].startswith("Thanks for reaching out to Bright Dental, Ann")


@pytest.mark.parametrize("language", ["fr", "english", "1"])
async def test_an_unknown_language_is_refused_naming_the_field_and_nothing_is_stored(
    client, nurture_domain, language
):
    domain = nurture_domain
    practice = await nurture_practice(domain)
    answer = await _post(client, practice, language=language)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    [error] = answer.json()["errors"]
    assert error["field"] == "language" and "en (English) or es (Spanish)" in error["message"]
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Lead)) == 0
