"""Two-way texts: keywords, exactly one opt-out confirmation, status order, quiet hours, replies."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from connectors.twilio.twiml import SMS_PATH, SMS_STATUS_PATH, VOICE_PATH, VOICE_STATUS_PATH
from router.core.clock import FrozenClock
from router.core.errors import PhoneActionRefused
from router.core.models import ConsentRecord, Interaction, Lead, SmsMessage
from router.phones.texts import send_deferred_text, send_sms_to_lead, send_text
from router.privacy.audit import Actor
from tests.phones.helpers import (
    CALLER,
    TRACKING,
    call_params,
    form_lead,
    new_sid,
    phone_practice,
    post_signed,
    sms_params,
    viewer_for,
)

pytestmark = pytest.mark.integration

NOON_CDT = datetime(2026, 6, 2, 17, 0, tzinfo=UTC)
ELEVEN_PM_CDT = datetime(2026, 6, 3, 4, 0, tzinfo=UTC)
ACTOR = Actor("user", "test")


@pytest.fixture(autouse=True)
def frozen(domain):  # type: ignore[no-untyped-def]
    clock = FrozenClock(NOON_CDT)
    domain.clock = clock
    return clock


def reply_of(response) -> str | None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return root.findtext("Message")


async def _consents(domain) -> list[ConsentRecord]:  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return list((await session.scalars(select(ConsentRecord).order_by(ConsentRecord.captured_at))).all())


@pytest.mark.parametrize(
    "keyword",
    [
        "STOP",
        "stop",
        "  Stop  ",
        "STOPALL",
        "UNSUBSCRIBE",
        "END",
        "QUIT",
        "CANCEL",
        "REVOKE",
        "OPTOUT",
        "optout\n",
    ],
)
async def test_each_opt_out_keyword_opts_out_at_once(
    twilio_client, twilio_config, phones, fake_twilio, keyword
):
    practice = await phone_practice(phones)
    await form_lead(phones, practice, phone=CALLER, sms_consent=None)
    reply = reply_of(await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params(keyword)))
    assert reply is not None and "unsubscribed" in reply and "START" in reply
    [record] = await _consents(phones)
    assert (record.granted, record.source) == (False, "sms_keyword")
    outcome = await send_text(phones, practice_id=practice.practice.id, to=CALLER, body="Hi", automated=False)
    assert outcome.status == "blocked"
    assert fake_twilio.made("Messages") == []


async def test_exactly_one_confirmation_per_opt_out(twilio_client, twilio_config, phones):
    await phone_practice(phones)
    params = sms_params("STOP")
    assert reply_of(await post_signed(twilio_client, twilio_config, SMS_PATH, params)) is not None
    assert (
        reply_of(await post_signed(twilio_client, twilio_config, SMS_PATH, params)) is None
    )  # Twilio's retry
    assert (
        reply_of(await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params("stop"))) is None
    )  # again
    assert len(await _consents(phones)) == 1


@pytest.mark.parametrize("keyword", ["START", "yes", " Unstop "])
async def test_opt_in_keywords_resubscribe(twilio_client, twilio_config, phones, fake_twilio, keyword):
    practice = await phone_practice(phones)
    await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params("STOP"))
    phones.clock.advance(timedelta(minutes=1))
    reply = reply_of(await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params(keyword)))
    assert reply is not None and "resubscribed" in reply
    assert [c.granted for c in await _consents(phones)] == [False, True]
    outcome = await send_text(phones, practice_id=practice.practice.id, to=CALLER, body="Hi", automated=False)
    assert outcome.status == "sent" and len(fake_twilio.made("Messages")) == 1


async def test_yes_from_a_subscribed_number_is_just_a_message(twilio_client, twilio_config, phones):
    practice = await phone_practice(phones)
    lead_id = await form_lead(phones, practice, phone=CALLER)
    consents_before = len(await _consents(phones))
    assert reply_of(await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params("Yes"))) is None
    assert len(await _consents(phones)) == consents_before
    async with phones.sessionmaker() as session:
        interaction = (await session.scalars(select(Interaction).where(Interaction.kind == "sms"))).one()
    assert interaction.lead_id == lead_id and interaction.outcome == "received"


@pytest.mark.parametrize("keyword", ["HELP", "info", " Help "])
async def test_help_answers_with_practice_support_and_opt_out(twilio_client, twilio_config, phones, keyword):
    await phone_practice(phones)
    reply = reply_of(await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params(keyword)))
    assert reply is not None
    assert "Bright Dental" in reply and "+15125550100" in reply and "STOP" in reply


async def test_free_text_opt_out_is_flagged_not_obeyed(twilio_client, twilio_config, phones):
    practice = await phone_practice(phones)
    await form_lead(phones, practice, phone=CALLER, sms_consent=None)
    assert (
        reply_of(
            await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params("please stop texting me"))
        )
        is None
    )
    async with phones.sessionmaker() as session:
        interaction = (await session.scalars(select(Interaction).where(Interaction.kind == "sms"))).one()
    assert interaction.details["opt_out_request"] is True
    assert await _consents(phones) == []


async def test_staff_text_goes_through_the_twilio_client(phones, fake_twilio):
    practice = await phone_practice(phones, staff={"desk@bright.example": {}})
    lead_id = await form_lead(phones, practice, phone=CALLER)
    user = practice.staff["desk@bright.example"]
    outcome = await send_sms_to_lead(
        phones, viewer_for(practice, user), lead_id, "Hi Ana, this is Bright Dental.", actor=ACTOR
    )
    assert outcome.status == "sent" and outcome.message_sid and outcome.message_sid.startswith("SM")
    [request] = fake_twilio.made("Messages")
    assert request.value("To") == CALLER and request.value("From") == TRACKING
    assert request.value("Body") == "Hi Ana, this is Bright Dental."
    assert (
        request.value("StatusCallback")
        == f"https://leads.example.com{SMS_STATUS_PATH}?message_id={outcome.message_id}"
    )
    async with phones.sessionmaker() as session:
        interaction = (await session.scalars(select(Interaction).where(Interaction.kind == "sms"))).one()
    assert interaction.user_id == user.id and interaction.lead_id == lead_id


async def test_opt_out_blocks_staff_texts_too(twilio_client, twilio_config, phones, fake_twilio):
    practice = await phone_practice(phones, staff={"desk@bright.example": {}})
    lead_id = await form_lead(phones, practice, phone=CALLER)
    await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params("STOP"))
    with pytest.raises(PhoneActionRefused, match="opted out"):
        await send_sms_to_lead(
            phones,
            viewer_for(practice, practice.staff["desk@bright.example"]),
            lead_id,
            "Hello?",
            actor=ACTOR,
        )
    assert fake_twilio.made("Messages") == []


async def test_delivered_never_goes_back_to_sent(twilio_client, twilio_config, phones):
    practice = await phone_practice(phones)
    outcome = await send_text(phones, practice_id=practice.practice.id, to=CALLER, body="Hi", automated=False)
    status_path = f"{SMS_STATUS_PATH}?message_id={outcome.message_id}"
    for status in ("delivered", "sent", "queued", "delivered"):
        params = {"MessageSid": outcome.message_sid or "", "MessageStatus": status}
        assert (await post_signed(twilio_client, twilio_config, status_path, params)).status_code == 204
    async with phones.sessionmaker() as session:
        message = await session.get(SmsMessage, outcome.message_id)
    assert message is not None and message.status == "delivered"


async def test_automated_text_at_night_is_deferred_not_dropped(phones, fake_twilio, runtime):
    practice = await phone_practice(phones)
    lead_id = await form_lead(phones, practice, phone=CALLER)
    phones.clock.set(ELEVEN_PM_CDT)
    outcome = await send_text(
        phones, practice_id=practice.practice.id, to=CALLER, body="Reminder", automated=True, lead_id=lead_id
    )
    morning = datetime(2026, 6, 3, 13, 0, tzinfo=UTC)  # 8 am CDT
    assert (outcome.status, outcome.send_after) == ("deferred", morning)
    assert fake_twilio.made("Messages") == []
    job_key = f"arq:job:text:{outcome.message_id}:{int(morning.timestamp())}"
    assert await runtime.redis.exists(job_key)
    phones.clock.set(morning)
    assert (await send_deferred_text(phones, outcome.message_id))["status"] == "sent"  # type: ignore[arg-type]
    assert len(fake_twilio.made("Messages")) == 1


async def test_staff_reply_to_a_patient_who_just_texted_is_not_held(
    twilio_client, twilio_config, phones, fake_twilio
):
    practice = await phone_practice(phones, staff={"desk@bright.example": {}})
    lead_id = await form_lead(phones, practice, phone=CALLER)
    viewer = viewer_for(practice, practice.staff["desk@bright.example"])
    phones.clock.set(ELEVEN_PM_CDT)
    held = await send_sms_to_lead(phones, viewer, lead_id, "Can we call you tomorrow?", actor=ACTOR)
    assert held.status == "deferred"
    await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params("Is anyone there? My tooth hurts"))
    phones.clock.advance(timedelta(minutes=5))
    reply = await send_sms_to_lead(phones, viewer, lead_id, "Yes! Come in at 8 tomorrow.", actor=ACTOR)
    assert reply.status == "sent" and len(fake_twilio.made("Messages")) == 1


async def test_a_reply_to_our_text_is_first_contact(twilio_client, twilio_config, phones):
    practice = await phone_practice(phones)
    lead_id = await form_lead(phones, practice, phone=CALLER)
    await send_text(
        phones, practice_id=practice.practice.id, to=CALLER, body="Hi", automated=False, lead_id=lead_id
    )
    phones.clock.advance(timedelta(minutes=3))
    await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params("Yes please call me"))
    async with phones.sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
    assert lead is not None and lead.first_contact_at == NOON_CDT + timedelta(minutes=3)
    assert lead.first_contact_source == "sms_reply" and lead.stage == "contacted"


async def test_a_text_from_a_new_number_is_a_new_lead_of_the_numbers_channel(
    twilio_client, twilio_config, phones
):
    await phone_practice(phones)
    await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params("Do you do implants?"))
    async with phones.sessionmaker() as session:
        lead = (await session.scalars(select(Lead))).one()
    assert (lead.source_kind, lead.source_channel) == ("sms", "google_ads")


async def test_consent_records_cannot_be_edited(twilio_client, twilio_config, phones):
    await phone_practice(phones)
    await post_signed(twilio_client, twilio_config, SMS_PATH, sms_params("STOP"))
    with pytest.raises(DBAPIError, match="immutable"):
        async with phones.sessionmaker() as session, session.begin():
            await session.execute(text("UPDATE consent_records SET granted = true"))


async def test_missed_new_caller_gets_one_text_back(twilio_client, twilio_config, phones, fake_twilio):
    await phone_practice(phones, hours={"sat": [["09:00", "10:00"]]}, overflow_mode=None, text_back=True)
    sid = new_sid()
    await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(sid))
    done = {"CallSid": sid, "CallStatus": "completed", "CallDuration": "12"}
    await post_signed(twilio_client, twilio_config, VOICE_STATUS_PATH, done)
    await post_signed(twilio_client, twilio_config, VOICE_STATUS_PATH, done)
    [request] = fake_twilio.made("Messages")
    assert request.value("To") == CALLER and "missed your call" in (request.value("Body") or "")


async def test_escalation_sms_port_sends_under_the_rules(phones, fake_twilio):
    practice = await phone_practice(phones)
    sid = await phones.sms.send_sms(
        practice_id=practice.practice.id, to="+15125550142", body="Lead waiting", automated=True
    )
    assert sid and sid.startswith("SM")
    async with phones.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(SmsMessage)) == 1
