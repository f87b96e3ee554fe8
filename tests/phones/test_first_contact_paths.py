"""Every way of reaching a patient records first contact through one writer, and the dashboard counts it.

Each path is driven through its real entry point: the board's and the console's HTTP endpoints and
Twilio's signed webhooks. Each lead must come out with the time, the business-hours seconds, the
source and (where a person made the contact) the user, and the dashboard's contact figures must
include all of them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from connectors.twilio.twiml import BRIDGE_PATH, RING_RESULT_PATH, SMS_PATH, VOICE_PATH
from router.board.dashboard import DashboardScope
from router.board.dashboard_view import load_dashboard
from router.core.clock import FrozenClock
from router.core.models import Lead, PhoneCall, StaffUser
from router.privacy.auth import create_user
from tests.factories import PASSWORD, open_staff_session
from tests.phones.helpers import (
    CALLER,
    call_params,
    form_lead,
    new_sid,
    phone_practice,
    post_signed,
    sms_params,
)

pytestmark = pytest.mark.integration

TUESDAY_10AM_CDT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
WAIT = timedelta(minutes=2)
"""Each lead waits this long before it is reached, inside business hours: its figures must say so."""


@pytest.fixture(autouse=True)
def frozen(domain):  # type: ignore[no-untyped-def]
    clock = FrozenClock(TUESDAY_10AM_CDT)
    domain.clock = clock
    return clock


async def _page_csrf(client, token: str, page: str = "/") -> dict[str, str]:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    client.cookies.set("lr_session", token)
    answer = await client.get(page)
    assert answer.status_code == 200, answer.text
    return {"x-csrftoken": re.search(r'"x-csrftoken": "([^"]+)"', answer.text).group(1)}


async def _lead(domain, lead_id) -> Lead:  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
    assert lead is not None
    return lead


async def test_every_contact_path_goes_through_the_one_writer_and_reaches_the_dashboard(
    twilio_client, twilio_config, phones, frozen, fake_twilio
):
    practice = await phone_practice(phones, staff={"ana@bright.example": {"name": "Ana Ruiz"}})
    ana = practice.staff["ana@bright.example"]
    async with phones.sessionmaker() as session, session.begin():
        await session.execute(update(StaffUser).where(StaffUser.id == ana.id).values(phone="+15125550177"))
        agent = await create_user(
            session,
            email="hana@overflow.example",
            display_name="Hana Ito",
            password=PASSWORD,
            role="overflow_agent",
            call_center_id=practice.call_center.id,
        )
    ana_csrf = await _page_csrf(twilio_client, await open_staff_session(phones, ana))
    ana_cookie = twilio_client.cookies.get("lr_session")
    expected: dict[str, tuple[str, object]] = {}

    # A contact logged on the board.
    board = await form_lead(phones, practice, phone="+15125550111", email="p1@example.com")
    frozen.advance(WAIT)
    answer = await twilio_client.post(
        f"/board/leads/{board}/contact", data={"channel": "phone"}, headers=ana_csrf
    )
    assert answer.status_code == 204, answer.text
    expected[board] = ("board", ana.id)

    # A booking closed on the board.
    booked = await form_lead(phones, practice, phone="+15125550112", email="p2@example.com")
    frozen.advance(WAIT)
    answer = await twilio_client.post(
        f"/board/leads/{booked}/close",
        data={"reason": "appointment_booked", "appointment_at": "2031-03-04T10:30"},
        headers=ana_csrf,
    )
    assert answer.status_code == 204, answer.text
    expected[booked] = ("booking", ana.id)

    # An outbound call from the board, answered by the patient.
    outbound = await form_lead(phones, practice, phone="+15125550113", email="p3@example.com")
    frozen.advance(WAIT)
    answer = await twilio_client.post(f"/phone/leads/{outbound}/call", headers=ana_csrf)
    assert answer.status_code == 200, answer.text
    async with phones.sessionmaker() as session:
        call_id = await session.scalar(select(PhoneCall.id).where(PhoneCall.lead_id == outbound))
    await post_signed(
        twilio_client,
        twilio_config,
        f"{BRIDGE_PATH}/{call_id}/result",
        {"CallSid": "CAstaffleg", "DialCallStatus": "completed"},
    )
    expected[outbound] = ("call", ana.id)

    # The patient's reply to a text sent from the board.
    replied = await form_lead(phones, practice, phone=CALLER, email="p4@example.com")
    answer = await twilio_client.post(
        f"/phone/leads/{replied}/sms", data={"body": "Hi, it's Bright"}, headers=ana_csrf
    )
    assert answer.status_code == 200, answer.text
    frozen.advance(WAIT)
    await post_signed(
        twilio_client,
        twilio_config,
        SMS_PATH,
        sms_params("yes call me"),
    )
    expected[replied] = ("sms_reply", None)

    # An inbound call answered at the front desk.
    sid = new_sid()
    await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(sid, caller="+15125550115"))
    async with phones.sessionmaker() as session:
        answered = await session.scalar(select(PhoneCall.lead_id).where(PhoneCall.call_sid == sid))
    frozen.advance(WAIT)
    await post_signed(
        twilio_client,
        twilio_config,
        f"{RING_RESULT_PATH}?step=front_desk",
        {"CallSid": sid, "DialCallStatus": "completed"},
    )
    expected[answered] = ("call", None)

    # An overflow agent's call that reached the patient.
    overflow = await form_lead(phones, practice, phone="+15125550116", email="p6@example.com")
    async with phones.sessionmaker() as session, session.begin():
        await session.execute(update(Lead).where(Lead.id == overflow).values(overflow=True))
    frozen.advance(WAIT)
    agent_csrf = await _page_csrf(twilio_client, await open_staff_session(phones, agent), "/overflow")
    assert (
        await twilio_client.post(f"/overflow/console/leads/{overflow}/claim", headers=agent_csrf)
    ).status_code == 200
    answer = await twilio_client.post(
        f"/overflow/console/leads/{overflow}/disposition",
        data={"disposition": "not_interested", "note": "Found another dentist"},
        headers=agent_csrf,
    )
    assert answer.status_code == 200, answer.text
    expected[overflow] = ("call", agent.id)
    twilio_client.cookies.set("lr_session", ana_cookie)

    for lead_id, (source, user_id) in expected.items():
        lead = await _lead(phones, lead_id)
        assert lead.first_contact_at is not None, source
        assert lead.first_contact_source == source, (source, lead.first_contact_source)
        assert lead.first_contact_user_id == user_id, source
        assert lead.first_contact_business_seconds is not None and lead.first_contact_business_seconds > 0, (
            source
        )
        assert lead.next_escalation_at is None and lead.stage != "lead", source

    scope = DashboardScope(
        practice.practice.id, practice.practice.name, practice.practice.time_zone, location_ids=None
    )
    async with phones.sessionmaker() as session:
        dashboard = await load_dashboard(session, scope, frozen.now(), days=7)
    [by_location] = dashboard.contact_times["location"]
    assert by_location.contacted == len(expected)
    assert by_location.median_business_seconds is not None
    by_source = {row.label: row.contacted for row in dashboard.contact_times["source"]}
    assert sum(by_source.values()) == len(expected)
