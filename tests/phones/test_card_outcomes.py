"""What a card says after a call or text from it did not go through: the staff phone not answered,
the patient not answering, the provider refusing the number (its reason, as Twilio gave it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from connectors.twilio.twiml import VOICE_PATH, VOICE_STATUS_PATH
from router.board.card import load_card_contact
from router.board.snapshot import load_board_leads
from router.core.clock import FrozenClock
from router.core.errors import PhoneActionRefused
from router.core.models import Interaction, Lead, PhoneCall, StaffUser
from router.phones.click_to_call import call_lead
from router.phones.texts import send_sms_to_lead
from router.privacy.audit import Actor
from tests.phones.helpers import (
    CALLER,
    call_params,
    form_lead,
    new_sid,
    phone_practice,
    post_signed,
    viewer_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def frozen(domain):  # type: ignore[no-untyped-def]
    clock = FrozenClock(datetime(2026, 6, 2, 17, 0, tzinfo=UTC))  # noon in Austin
    domain.clock = clock
    return clock


async def _desk(domain):  # type: ignore[no-untyped-def]
    practice = await phone_practice(domain, staff={"desk@bright.example": {"name": "Dee Desk"}})
    user = practice.staff["desk@bright.example"]
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(StaffUser).where(StaffUser.id == user.id).values(phone="+15125550177"))
    return practice, user, viewer_for(practice, user)


@pytest.mark.parametrize(
    ("status", "outcome", "words"),
    [
        ("no-answer", "staff_no_answer", "the staff phone was not answered"),
        ("completed", "not_connected", "the patient did not answer"),
    ],
)
async def test_a_call_that_did_not_connect_says_whose_phone_did_not_answer(
    twilio_client, twilio_config, phones, fake_twilio, status, outcome, words
):
    practice, user, viewer = await _desk(phones)
    lead_id = await form_lead(phones, practice, phone=CALLER)
    actor = Actor("user", str(user.id))
    call_id = await call_lead(phones, viewer, lead_id, actor=actor)
    async with phones.sessionmaker() as session:
        sid = await session.scalar(select(PhoneCall.call_sid).where(PhoneCall.id == call_id))
    await post_signed(
        twilio_client,
        twilio_config,
        f"{VOICE_STATUS_PATH}?call_id={call_id}",
        {"CallSid": sid, "CallStatus": status, "CallDuration": "0"},
    )
    async with phones.sessionmaker() as session:
        call = (await session.scalars(select(Interaction).where(Interaction.kind == "call"))).one()
    assert call.outcome == outcome
    card = await load_card_contact(phones, viewer, lead_id, actor=actor)
    assert card is not None and card.last_failure is not None
    assert (card.last_failure.kind, card.last_failure.reason, card.last_failure.by) == (
        "call",
        words,
        "Dee Desk",
    )


async def test_a_number_the_provider_refuses_shows_its_reason_on_the_card(phones, fake_twilio, frozen):
    practice, user, viewer = await _desk(phones)
    lead_id = await form_lead(phones, practice, phone=CALLER)
    actor = Actor("user", str(user.id))
    fake_twilio.fail_next(status=400, code=21614, message="'To' number is not a valid mobile number")
    with pytest.raises(PhoneActionRefused, match="not a valid mobile number"):
        await send_sms_to_lead(phones, viewer, lead_id, "Hi, this is Bright Smile.", actor=actor)
    card = await load_card_contact(phones, viewer, lead_id, actor=actor)
    assert card is not None and card.last_failure is not None
    assert card.last_failure.kind == "text" and "21614" in card.last_failure.reason
    assert "not a valid mobile number" in card.last_failure.reason

    frozen.advance(timedelta(minutes=1))
    await send_sms_to_lead(phones, viewer, lead_id, "Trying again.", actor=actor)  # accepted this time
    card = await load_card_contact(phones, viewer, lead_id, actor=actor)
    assert card is not None and card.last_failure is None


async def test_a_missed_call_shows_voicemail_and_texted_back_on_the_card(
    twilio_client, twilio_config, phones, fake_twilio
):
    await phone_practice(phones, hours={"sat": [["09:00", "10:00"]]}, overflow_mode=None, text_back=True)
    sid = new_sid()
    await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(sid))
    recording = {
        "CallSid": sid,
        "RecordingSid": "RE" + "2" * 32,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE2",
        "RecordingDuration": "9",
        "RecordingStatus": "completed",
    }
    await post_signed(twilio_client, twilio_config, "/webhooks/twilio/voice/recording", recording)
    done = {"CallSid": sid, "CallStatus": "completed", "CallDuration": "20"}
    await post_signed(twilio_client, twilio_config, VOICE_STATUS_PATH, done)
    assert len(fake_twilio.made("Messages")) == 1
    async with phones.sessionmaker() as session:
        lead_id = await session.scalar(select(Lead.id))
    async with phones.sessionmaker() as session:
        row = (await load_board_leads(session, phones, [lead_id]))[lead_id]
    assert row.badges == ("Texted back", "Voicemail")
