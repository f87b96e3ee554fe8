"""Click-to-call through the real twilio client, the signed bridge, and sticky routing afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from connectors.twilio.twiml import BRIDGE_PATH, VOICE_PATH, VOICE_STATUS_PATH
from router.core.clock import FrozenClock
from router.core.errors import PhoneActionRefused
from router.core.models import Interaction, Lead, PhoneCall, StaffUser
from router.phones.click_to_call import call_lead
from router.privacy.audit import Actor
from tests.phones.helpers import (
    CALLER,
    TRACKING,
    call_params,
    form_lead,
    phone_practice,
    post_signed,
    twiml,
    viewer_for,
)

pytestmark = pytest.mark.integration

STAFF_PHONE = "+15125550177"
NOON_CDT = datetime(2026, 6, 2, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(domain):  # type: ignore[no-untyped-def]
    clock = FrozenClock(NOON_CDT)
    domain.clock = clock
    return clock


async def _practice_with_desk(domain, phone: str | None = STAFF_PHONE):  # type: ignore[no-untyped-def]
    practice = await phone_practice(domain, staff={"desk@bright.example": {}})
    user = practice.staff["desk@bright.example"]
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(StaffUser).where(StaffUser.id == user.id).values(phone=phone))
    return practice, user


async def test_click_to_call_rings_staff_then_bridges_showing_the_practice_number(
    twilio_client, twilio_config, phones, fake_twilio
):
    practice, user = await _practice_with_desk(phones)
    lead_id = await form_lead(phones, practice, phone=CALLER)
    call_id = await call_lead(phones, viewer_for(practice, user), lead_id, actor=Actor("user", str(user.id)))
    [request] = fake_twilio.made("Calls")
    assert request.value("To") == STAFF_PHONE and request.value("From") == TRACKING
    assert request.value("Url") == f"https://leads.example.com{BRIDGE_PATH}/{call_id}"
    assert (
        request.value("StatusCallback") == f"https://leads.example.com{VOICE_STATUS_PATH}?call_id={call_id}"
    )

    root = twiml(
        await post_signed(twilio_client, twilio_config, f"{BRIDGE_PATH}/{call_id}", {"CallSid": "CAstaffleg"})
    )
    dial = root.find("Dial")
    assert dial is not None and dial.get("callerId") == TRACKING and dial.findtext("Number") == CALLER

    result = f"{BRIDGE_PATH}/{call_id}/result"
    await post_signed(
        twilio_client, twilio_config, result, {"CallSid": "CAstaffleg", "DialCallStatus": "completed"}
    )
    async with phones.sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
        interaction = (await session.scalars(select(Interaction).where(Interaction.kind == "call"))).one()
    assert lead is not None and lead.first_contact_at == NOON_CDT and lead.first_contact_user_id == user.id
    assert (interaction.outcome, interaction.user_id) == ("connected", user.id)


async def test_bridge_for_an_unsigned_request_is_refused(twilio_client, phones, fake_twilio):
    practice, user = await _practice_with_desk(phones)
    lead_id = await form_lead(phones, practice, phone=CALLER)
    call_id = await call_lead(phones, viewer_for(practice, user), lead_id, actor=Actor("user", str(user.id)))
    response = await twilio_client.post(f"{BRIDGE_PATH}/{call_id}", data={"CallSid": "CAx"})
    assert response.status_code == 403 and CALLER not in response.text


async def test_click_to_call_needs_the_staff_members_phone(phones, fake_twilio):
    practice, user = await _practice_with_desk(phones, phone=None)
    lead_id = await form_lead(phones, practice, phone=CALLER)
    with pytest.raises(PhoneActionRefused, match="phone number"):
        await call_lead(phones, viewer_for(practice, user), lead_id, actor=Actor("user", str(user.id)))
    assert fake_twilio.made("Calls") == []


async def test_twilio_refusing_the_call_is_reported_and_logged(phones, fake_twilio):
    practice, user = await _practice_with_desk(phones)
    lead_id = await form_lead(phones, practice, phone=CALLER)
    fake_twilio.fail_next(status=400, code=21211, message="Invalid 'To' Phone Number")
    with pytest.raises(PhoneActionRefused, match="21211"):
        await call_lead(phones, viewer_for(practice, user), lead_id, actor=Actor("user", str(user.id)))
    async with phones.sessionmaker() as session:
        assert (await session.scalars(select(PhoneCall))).one().status == "failed"


async def test_a_repeat_caller_is_offered_to_the_person_they_spoke_with(
    twilio_client, twilio_config, phones, fake_twilio
):
    practice, user = await _practice_with_desk(phones)
    lead_id = await form_lead(phones, practice, phone=CALLER)
    call_id = await call_lead(phones, viewer_for(practice, user), lead_id, actor=Actor("user", str(user.id)))
    await post_signed(
        twilio_client,
        twilio_config,
        f"{BRIDGE_PATH}/{call_id}/result",
        {"CallSid": "CAs", "DialCallStatus": "completed"},
    )
    root = twiml(await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params("CA" + "7" * 32)))
    dial = root.find("Dial")
    assert dial is not None and dial.findtext("Number") == STAFF_PHONE
    assert dial.get("action", "").endswith("step=sticky") and dial.get("timeout") == "15"
    nobody = {"CallSid": "CA" + "7" * 32, "DialCallStatus": "no-answer"}
    following = twiml(
        await post_signed(
            twilio_client,
            twilio_config,
            dial.get("action", "").removeprefix(twilio_config.public_url),
            nobody,
        )
    )
    assert following.findtext("Dial/Number") == "+15125550100"  # then the front desk, as usual
