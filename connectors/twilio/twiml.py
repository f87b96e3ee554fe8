"""TwiML out: the domain's ring steps, the click-to-call bridge and text replies, built with the library."""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Dial, VoiceResponse

from connectors.twilio.config import TwilioConfig
from router.phones.click_to_call import Bridge
from router.phones.routing import RingStep

WEBHOOK_ROOT = "/webhooks/twilio"
VOICE_PATH = f"{WEBHOOK_ROOT}/voice"
"""A tracking number's "A call comes in" webhook."""
VOICE_STATUS_PATH = f"{WEBHOOK_ROOT}/voice/status"
"""A tracking number's "Call status changes" callback (and every click-to-call's)."""
RING_RESULT_PATH = f"{WEBHOOK_ROOT}/voice/ring-result"
QUEUE_RESULT_PATH = f"{WEBHOOK_ROOT}/voice/queue-result"
RECORDING_PATH = f"{WEBHOOK_ROOT}/voice/recording"
TRANSCRIPTION_PATH = f"{WEBHOOK_ROOT}/voice/transcription"
VOICEMAIL_DONE_PATH = f"{WEBHOOK_ROOT}/voice/voicemail-done"
BRIDGE_PATH = f"{WEBHOOK_ROOT}/voice/bridge"
SMS_PATH = f"{WEBHOOK_ROOT}/sms"
"""A tracking number's "A message comes in" webhook."""
SMS_STATUS_PATH = f"{WEBHOOK_ROOT}/sms/status"

VOICEMAIL_MAX_SECONDS = 120
"""Two minutes holds a name, a number and a question; longer voicemails are rarely listened to."""
VOICEMAIL_GREETING = "Sorry we could not take your call. Please leave your name, number and a short message."
NOT_IN_SERVICE = "This number is not in service. Goodbye."


def ring_twiml(config: TwilioConfig, step: RingStep, *, consent_notice: str | None = None) -> str:
    """The TwiML of one ring step (a Dial with its action, the overflow queue, voicemail or hang up)."""
    response = VoiceResponse()
    if consent_notice:
        response.say(consent_notice)
    if step.kind in ("sticky", "front_desk", "overflow_number"):
        recording = (
            {
                "record": "record-from-answer-dual",
                "recording_status_callback": config.public(RECORDING_PATH),
                "recording_status_callback_method": "POST",
            }
            if step.record
            else {}
        )
        dial = Dial(
            timeout=step.timeout_seconds,
            action=config.public(f"{RING_RESULT_PATH}?step={step.kind}"),
            method="POST",
            answer_on_bridge=True,
            **recording,
        )
        dial.number(step.number or "")
        response.append(dial)
    elif step.kind == "overflow_queue":
        response.enqueue(step.queue, action=config.public(QUEUE_RESULT_PATH), method="POST")
    elif step.kind == "voicemail":
        response.say(VOICEMAIL_GREETING)
        response.record(
            max_length=VOICEMAIL_MAX_SECONDS,
            play_beep=True,
            action=config.public(VOICEMAIL_DONE_PATH),
            method="POST",
            recording_status_callback=config.public(RECORDING_PATH),
            recording_status_callback_method="POST",
            transcribe=True,
            transcribe_callback=config.public(TRANSCRIPTION_PATH),
        )
    else:
        response.hangup()
    return str(response)


def not_in_service_twiml() -> str:
    response = VoiceResponse()
    response.say(NOT_IN_SERVICE)
    response.hangup()
    return str(response)


def hangup_twiml(goodbye: str | None = None) -> str:
    response = VoiceResponse()
    if goodbye:
        response.say(goodbye)
    response.hangup()
    return str(response)


def bridge_twiml(config: TwilioConfig, call_id: str, bridge: Bridge | None) -> str:
    """What the staff member hears on answering: a word, then the lead's phone ringing."""
    if bridge is None:
        return hangup_twiml("This call can no longer be connected.")
    response = VoiceResponse()
    response.say("Connecting you to the lead.")
    dial = Dial(
        caller_id=bridge.caller_id,
        timeout=bridge.timeout_seconds,
        action=config.public(f"{BRIDGE_PATH}/{call_id}/result"),
        method="POST",
    )
    dial.number(bridge.lead_phone)
    response.append(dial)
    return str(response)


def sms_reply_twiml(reply: str | None) -> str:
    """An answer to an inbound text: one message, or none (an empty Response sends nothing)."""
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return str(response)
