"""The board's call and text buttons: thin POSTs with CSRF, through the real twilio client."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from router.core.clock import FrozenClock
from router.core.models import StaffUser
from tests.factories import open_staff_session
from tests.phones.helpers import CALLER, form_lead, phone_practice

pytestmark = pytest.mark.integration


async def test_call_and_text_buttons(twilio_client, phones, fake_twilio):
    clock = FrozenClock(datetime(2026, 6, 2, 17, 0, tzinfo=UTC))  # noon in Austin: not quiet hours
    phones.clock = clock
    practice = await phone_practice(phones, staff={"desk@bright.example": {}})
    user = practice.staff["desk@bright.example"]
    async with phones.sessionmaker() as session, session.begin():
        await session.execute(update(StaffUser).where(StaffUser.id == user.id).values(phone="+15125550177"))
    lead_id = await form_lead(phones, practice, phone=CALLER)
    twilio_client.cookies.set("lr_session", await open_staff_session(phones, user))
    page = await twilio_client.get("/")
    headers = {"x-csrftoken": re.search(r'"x-csrftoken": "([^"]+)"', page.text).group(1)}  # type: ignore[union-attr]

    assert (await twilio_client.post(f"/phone/leads/{lead_id}/call")).status_code == 403  # no CSRF token
    called = await twilio_client.post(f"/phone/leads/{lead_id}/call", headers=headers)
    assert called.status_code == 200 and "Calling your phone" in called.text
    texted = await twilio_client.post(
        f"/phone/leads/{lead_id}/sms", data={"body": "Hi Ana!"}, headers=headers
    )
    assert texted.status_code == 200 and "Text sent" in texted.text
    assert len(fake_twilio.made("Calls")) == 1 and len(fake_twilio.made("Messages")) == 1
    empty = await twilio_client.post(f"/phone/leads/{lead_id}/sms", data={"body": "  "}, headers=headers)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body"
