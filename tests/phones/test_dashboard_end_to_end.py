"""End to end: leads arrive through the signed form webhook, staff reach them through the board, a
phone call and a text reply, and the dashboard page shows the figures a person computes by hand."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from connectors.twilio.twiml import BRIDGE_PATH, SMS_PATH
from router.core.clock import FrozenClock
from router.core.models import PhoneCall, StaffUser
from tests.factories import inquiry, open_staff_session, signed
from tests.phones.helpers import CALLER, phone_practice, post_signed, sms_params

pytestmark = pytest.mark.integration

TUESDAY_10AM_CDT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


async def test_webhook_leads_contacted_by_board_phone_and_text_add_up_on_the_dashboard(
    twilio_client, twilio_config, phones, fake_twilio
):
    clock = FrozenClock(TUESDAY_10AM_CDT)
    phones.clock = clock
    practice = await phone_practice(
        phones,
        staff={
            "ana@bright.example": {"name": "Ana Ruiz"},
            "boss@bright.example": {"name": "Morgan", "role": "manager"},
        },
    )
    ana = practice.staff["ana@bright.example"]
    async with phones.sessionmaker() as session, session.begin():
        await session.execute(update(StaffUser).where(StaffUser.id == ana.id).values(phone="+15125550177"))

    leads = {}
    for name, phone in (
        ("Amy", "+15125550121"),
        ("Ben", "+15125550122"),
        ("Cal", CALLER),
        ("Dee", "+15125550124"),
    ):
        body, headers = signed(
            inquiry(first_name=name, last_name="Patient", phone=phone, email=f"{name}@example.com"),
            practice.secret,
        )
        answer = await twilio_client.post(
            f"/webhooks/forms/{practice.form_key}", content=body, headers=headers
        )
        assert answer.status_code == 201, answer.text
        leads[name] = answer.json()["lead_id"]

    twilio_client.cookies.set("lr_session", await open_staff_session(phones, ana))
    board = await twilio_client.get("/")
    csrf = {"x-csrftoken": re.search(r'"x-csrftoken": "([^"]+)"', board.text).group(1)}

    clock.advance(timedelta(minutes=2))  # Amy: contact logged on the board after 2 min (met)
    assert (
        await twilio_client.post(
            f"/board/leads/{leads['Amy']}/contact", data={"channel": "phone"}, headers=csrf
        )
    ).status_code == 204

    clock.advance(timedelta(minutes=2))  # Ben: a call from the board, answered after 4 min (met)
    assert (await twilio_client.post(f"/phone/leads/{leads['Ben']}/call", headers=csrf)).status_code == 200
    async with phones.sessionmaker() as session:
        call_id = await session.scalar(select(PhoneCall.id).where(PhoneCall.lead_id == leads["Ben"]))
    await post_signed(
        twilio_client,
        twilio_config,
        f"{BRIDGE_PATH}/{call_id}/result",
        {"CallSid": "CAleg", "DialCallStatus": "completed"},
    )

    assert (
        await twilio_client.post(
            f"/phone/leads/{leads['Cal']}/sms", data={"body": "Hi from Bright"}, headers=csrf
        )
    ).status_code == 200
    clock.advance(timedelta(minutes=4))  # Cal: answers the text after 8 min (3 min past the deadline)
    await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params("yes please call"))

    clock.advance(timedelta(minutes=2))  # Dee: nobody reached her; 10 min now, 5 past her deadline
    twilio_client.cookies.set(
        "lr_session", await open_staff_session(phones, practice.staff["boss@bright.example"])
    )
    page = await twilio_client.get("/dashboard")
    assert page.status_code == 200
    text = html.unescape(re.sub(r"\s+", " ", page.text))

    # Judged 4 (Amy, Ben met; Cal, Dee breached) -> 50.0 %. From arrival [120, 240, 480] s -> median 4.0 min.
    assert 'today</th><td>50.0 %</td><td class="muted">2 of 4</td>' in text
    assert 'Waiting now</h2><p class="big">1</p>' in text and "urgency-late" in text
    assert 'Breaches today</h2><p class="big danger">2</p>' in text
    breaches = re.findall(r'<tr class="breach level-0">(.*?)</tr>', text)
    assert [re.search(r'">([^<]+)</a>', row).group(1) for row in breaches] == ["Dee Patient", "Cal Patient"]
    assert "5.0 min" in breaches[0] and "still waiting" in breaches[0]
    assert "3.0 min" in breaches[1] and "contacted" in breaches[1]
    downtown = re.search(r'<th scope="row">Downtown Office</th>(.*?)</tr>', text).group(1)
    # p90: rank 0.9 * 2 = 1.8 -> 240 + 0.8 * (480 - 240) = 432 s = 7.2 min.
    assert downtown == "<td>3</td><td>4.0 min</td><td>7.2 min</td><td>4.0 min</td><td>7.2 min</td>"
    staff = re.search(r'<th scope="row">Ana Ruiz</th>(.*?)</tr>', text).group(1)
    assert staff.startswith("<td>2</td><td>3.0 min</td>")  # Amy (board) and Ben (call): 120 and 240 s
    assert "9:00 CDT" not in text and "CDT" in text
