"""Inbound calls: signatures, the lead before the answer, every ring step, callbacks, duplicates."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from connectors.twilio.signature import sign_webhook
from connectors.twilio.twiml import RING_RESULT_PATH, VOICE_PATH, VOICE_STATUS_PATH
from router.core.clock import FrozenClock
from router.core.models import AuditRecord, Interaction, Lead, PhoneCall, Touchpoint
from router.core.phi_columns import INTERACTION_NOTE
from tests.phones.helpers import (
    CENTER_PHONE,
    CLOSED_ALL_WEEK,
    FRONT_DESK,
    call_params,
    new_sid,
    phone_practice,
    post_signed,
    twiml,
)

pytestmark = pytest.mark.integration

TUESDAY_10AM_CDT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(domain):  # type: ignore[no-untyped-def]
    clock = FrozenClock(TUESDAY_10AM_CDT)
    domain.clock = clock
    return clock


async def _count(domain, model) -> int:  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _lead(domain) -> Lead:  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return (await session.scalars(select(Lead))).one()


async def _queue_result(twilio_client, twilio_config, sid: str, result: str) -> ET.Element:  # type: ignore[no-untyped-def]
    """Twilio's TwiML answer when the caller leaves the overflow queue with `result`."""
    response = await post_signed(
        twilio_client,
        twilio_config,
        "/webhooks/twilio/voice/queue-result",
        {"CallSid": sid, "QueueResult": result},
    )
    return twiml(response)


async def test_call_creates_a_lead_before_it_rings_the_front_desk(twilio_client, twilio_config, phones):
    await phone_practice(phones)
    sid = new_sid()
    root = twiml(await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(sid)))
    dial = root.find("Dial")
    assert dial is not None and dial.findtext("Number") == FRONT_DESK
    assert dial.get("timeout") == "20"
    assert dial.get("action") == f"https://leads.example.com{RING_RESULT_PATH}?step=front_desk"
    lead = await _lead(phones)
    assert (lead.source_kind, lead.source_channel, lead.overflow) == ("call", "google_ads", False)
    async with phones.sessionmaker() as session:
        touchpoint = (await session.scalars(select(Touchpoint))).one()
        call = (await session.scalars(select(PhoneCall))).one()
    assert touchpoint.utm_campaign == "implants" and touchpoint.details["call_sid"] == sid
    assert call.lead_id == lead.id and call.routing_step == "front_desk"


@pytest.mark.parametrize("tamper", ["forged", "altered", "missing", "internal_url", "other_path"])
async def test_bad_signatures_are_refused_and_store_nothing(twilio_client, twilio_config, phones, tamper):
    await phone_practice(phones)
    params = call_params(new_sid())
    body, headers = sign_webhook(twilio_config, path_and_query=VOICE_PATH, params=list(params.items()))
    if tamper == "forged":
        headers["X-Twilio-Signature"] = "bm90IGEgc2lnbmF0dXJl"
    elif tamper == "altered":
        body = body.replace(b"%2B15128675309", b"%2B15128675300")
    elif tamper == "missing":
        del headers["X-Twilio-Signature"]
    elif tamper == "internal_url":  # signed over the address the request reaches us at, not the public one
        internal = type(twilio_config)(
            twilio_config.account_sid, twilio_config.auth_token, public_url="http://10.0.0.5:8000"
        )
        body, headers = sign_webhook(internal, path_and_query=VOICE_PATH, params=list(params.items()))
    else:
        body, headers = sign_webhook(
            twilio_config, path_and_query=VOICE_STATUS_PATH, params=list(params.items())
        )
    response = await twilio_client.post(VOICE_PATH, content=body, headers=headers)
    assert response.status_code == 403
    assert await _count(phones, Lead) == 0
    assert await _count(phones, PhoneCall) == 0


async def test_repeated_parameters_are_all_signed(twilio_client, twilio_config, phones):
    await phone_practice(phones)
    pairs = [*call_params(new_sid()).items(), ("StirPassport", "a"), ("StirPassport", "b")]
    body, headers = sign_webhook(twilio_config, path_and_query=VOICE_PATH, params=pairs)
    good = await twilio_client.post(VOICE_PATH, content=body, headers=headers)
    assert good.status_code == 200
    altered = body.replace(b"StirPassport=b", b"StirPassport=c")
    assert (await twilio_client.post(VOICE_PATH, content=altered, headers=headers)).status_code == 403


async def test_a_retried_call_webhook_changes_nothing(twilio_client, twilio_config, phones):
    await phone_practice(phones)
    params = call_params(new_sid())
    first = twiml(await post_signed(twilio_client, twilio_config, VOICE_PATH, params))
    again = twiml(await post_signed(twilio_client, twilio_config, VOICE_PATH, params))
    assert first.find("Dial/Number").text == again.find("Dial/Number").text  # type: ignore[union-attr]
    assert (
        await _count(phones, Lead),
        await _count(phones, PhoneCall),
        await _count(phones, Interaction),
    ) == (1, 1, 1)


async def test_answered_call_is_first_contact(twilio_client, twilio_config, phones):
    await phone_practice(phones)
    sid = new_sid()
    await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(sid))
    path = f"{RING_RESULT_PATH}?step=front_desk"
    root = twiml(
        await post_signed(twilio_client, twilio_config, path, {"CallSid": sid, "DialCallStatus": "completed"})
    )
    assert root.find("Hangup") is not None
    lead = await _lead(phones)
    assert lead.first_contact_at == TUESDAY_10AM_CDT and lead.stage == "contacted" and not lead.overflow
    async with phones.sessionmaker() as session:
        assert (await session.scalars(select(Interaction))).one().outcome == "answered"


@pytest.mark.parametrize("dial_status", ["no-answer", "busy", "failed"])
async def test_unanswered_front_desk_rolls_to_the_call_center(
    twilio_client, twilio_config, phones, dial_status
):
    await phone_practice(phones)
    sid = new_sid()
    await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(sid))
    root = twiml(
        await post_signed(
            twilio_client,
            twilio_config,
            f"{RING_RESULT_PATH}?step=front_desk",
            {"CallSid": sid, "DialCallStatus": dial_status},
        )
    )
    dial = root.find("Dial")
    assert dial is not None and dial.findtext("Number") == CENTER_PHONE
    assert dial.get("action", "").endswith("step=overflow_number")
    lead = await _lead(phones)
    assert lead.overflow and lead.first_contact_at is None


async def test_closed_location_goes_straight_to_overflow(twilio_client, twilio_config, phones):
    await phone_practice(phones, hours=CLOSED_ALL_WEEK | {"sat": [["09:00", "10:00"]]})
    root = twiml(await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(new_sid())))
    assert root.find("Dial/Number").text == CENTER_PHONE  # type: ignore[union-attr]
    assert (await _lead(phones)).overflow


async def test_overflow_closed_too_means_voicemail_with_transcription(twilio_client, twilio_config, phones):
    await phone_practice(
        phones, hours={"sat": [["09:00", "10:00"]]}, center_hours={"sun": [["09:00", "10:00"]]}
    )
    root = twiml(await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(new_sid())))
    record = root.find("Record")
    assert root.find("Dial") is None and record is not None
    assert record.get("transcribe") == "true"
    assert record.get("transcribeCallback") == "https://leads.example.com/webhooks/twilio/voice/transcription"


async def test_overflow_number_unanswered_means_voicemail(twilio_client, twilio_config, phones):
    await phone_practice(phones)
    sid = new_sid()
    await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(sid))
    for step in ("front_desk", "overflow_number"):
        root = twiml(
            await post_signed(
                twilio_client,
                twilio_config,
                f"{RING_RESULT_PATH}?step={step}",
                {"CallSid": sid, "DialCallStatus": "no-answer"},
            )
        )
    assert root.find("Record") is not None


async def test_queue_mode_enqueues_for_the_overflow_agents(twilio_client, twilio_config, phones):
    await phone_practice(phones, overflow_mode="queue")
    sid = new_sid()
    await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(sid))
    root = twiml(
        await post_signed(
            twilio_client,
            twilio_config,
            f"{RING_RESULT_PATH}?step=front_desk",
            {"CallSid": sid, "DialCallStatus": "busy"},
        )
    )
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.text == "overflow-overflow-bright"
    answered = await _queue_result(twilio_client, twilio_config, sid, "bridged")
    assert answered.find("Hangup") is not None
    lead = await _lead(phones)
    assert lead.overflow and lead.first_contact_at == TUESDAY_10AM_CDT


async def test_queue_left_unanswered_means_voicemail(twilio_client, twilio_config, phones):
    await phone_practice(phones, overflow_mode="queue", hours={"sat": [["09:00", "10:00"]]})
    sid = new_sid()
    first = twiml(await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(sid)))
    assert first.find("Enqueue") is not None
    root = await _queue_result(twilio_client, twilio_config, sid, "error")
    assert root.find("Record") is not None


async def test_recording_practices_play_the_consent_notice_and_record(twilio_client, twilio_config, phones):
    await phone_practice(phones, records_calls=True)
    root = twiml(await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(new_sid())))
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert root.findtext("Say") == "This call is recorded."
    assert root.find("Dial").get("record") == "record-from-answer-dual"  # type: ignore[union-attr]


async def test_status_callbacks_never_regress_and_duplicates_change_nothing(
    twilio_client, twilio_config, phones
):
    await phone_practice(phones)
    sid = new_sid()
    await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(sid))
    done = {"CallSid": sid, "CallStatus": "completed", "CallDuration": "42"}
    assert (await post_signed(twilio_client, twilio_config, VOICE_STATUS_PATH, done)).status_code == 204
    async with phones.sessionmaker() as session:
        audit_rows = await session.scalar(select(func.count()).select_from(AuditRecord))
    late = {"CallSid": sid, "CallStatus": "ringing"}
    assert (await post_signed(twilio_client, twilio_config, VOICE_STATUS_PATH, late)).status_code == 204
    assert (await post_signed(twilio_client, twilio_config, VOICE_STATUS_PATH, done)).status_code == 204
    async with phones.sessionmaker() as session:
        call = (await session.scalars(select(PhoneCall))).one()
        interaction = (await session.scalars(select(Interaction))).one()
        assert await session.scalar(select(func.count()).select_from(AuditRecord)) == audit_rows
    assert (call.status, call.duration_seconds) == ("completed", 42)
    assert interaction.outcome == "missed" and interaction.details["duration_seconds"] == 42


async def test_voicemail_recording_and_transcript_land_on_the_timeline_once(
    twilio_client, twilio_config, phones
):
    await phone_practice(phones, hours={"sat": [["09:00", "10:00"]]}, overflow_mode=None)
    sid = new_sid()
    root = twiml(await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(sid)))
    assert root.find("Record") is not None
    recording = {
        "CallSid": sid,
        "RecordingSid": "RE" + "1" * 32,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1",
        "RecordingDuration": "17",
        "RecordingStatus": "completed",
    }
    transcript = {
        "CallSid": sid,
        "TranscriptionSid": "TR" + "1" * 32,
        "TranscriptionText": "Hi, this is Ana, I need a crown, call me back.",
        "TranscriptionStatus": "completed",
    }
    for _ in range(2):
        assert (
            await post_signed(twilio_client, twilio_config, "/webhooks/twilio/voice/recording", recording)
        ).status_code == 204
        assert (
            await post_signed(
                twilio_client, twilio_config, "/webhooks/twilio/voice/transcription", transcript
            )
        ).status_code == 204
    async with phones.sessionmaker() as session:
        interaction = (await session.scalars(select(Interaction))).one()
    assert interaction.outcome == "voicemail"
    assert interaction.details["recording_sid"] == recording["RecordingSid"]
    assert b"crown" not in bytes(interaction.note_enc)
    note = phones.cipher.open(interaction.note_enc, column=INTERACTION_NOTE, row_id=interaction.id)
    assert note == transcript["TranscriptionText"]


async def test_unknown_number_is_not_in_service(twilio_client, twilio_config, phones):
    await phone_practice(phones)
    root = twiml(
        await post_signed(twilio_client, twilio_config, VOICE_PATH, call_params(new_sid(), to="+15125550177"))
    )
    assert root.find("Hangup") is not None and await _count(phones, Lead) == 0


async def test_withheld_caller_id_still_rings_through(twilio_client, twilio_config, phones):
    await phone_practice(phones)
    root = twiml(
        await post_signed(
            twilio_client, twilio_config, VOICE_PATH, call_params(new_sid(), caller="anonymous")
        )
    )
    assert root.find("Dial/Number").text == FRONT_DESK  # type: ignore[union-attr]
    assert await _count(phones, Lead) == 0 and await _count(phones, PhoneCall) == 1


async def test_the_replay_command_rings_out_to_voicemail(twilio_client, twilio_config, phones):
    from connectors.twilio.replay import replay_call

    await phone_practice(phones)
    replayed = await replay_call(
        twilio_config,
        base_url="",
        caller="+15125550198",
        to="+15125550101",
        ring_outcome="no-answer",
        client=twilio_client,
    )
    assert [code for _, code, _ in replayed.steps] == [200, 200, 200, 204]
    assert replayed.steps[2][0].endswith("step=overflow_number")
    assert ET.fromstring(replayed.steps[2][2]).find("Record") is not None
    lead = await _lead(phones)
    assert lead.overflow
