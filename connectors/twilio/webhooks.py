"""Twilio's webhooks: verify the signature over our public URL, hand the parameters to the domain, answer.

Every handler refuses (403, nothing stored) a request not signed by our account for exactly the
URL Twilio called. Voice webhooks answer TwiML; callbacks answer 204 (Twilio ignores the body).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, Router, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.plugins.problem_details import ProblemDetailsException
from multidict import MultiDict

from connectors.twilio import twiml
from connectors.twilio.config import TwilioConfig
from connectors.twilio.signature import SignatureRejected, parse_params, verify_webhook
from router.core.domain import Domain
from router.phones.calls import UnknownCall, attach_recording, attach_transcript, record_call_status
from router.phones.click_to_call import bridge_for, record_bridge_result
from router.phones.inbound_texts import receive_text
from router.phones.routing import UnknownTrackingNumber, record_ring_result, take_inbound_call
from router.phones.texts import record_text_status
from router.reminders.inbound import read_reminder_reply

XML = "application/xml"
QUEUE_OUTCOMES = {"bridged": "bridged", "bridging-in-process": "bridged", "hangup": "hangup"}
"""Enqueue's QueueResult in ring-step terms; anything else (error, leave, queue-full) moves on."""


async def signed_params(request: Request[Any, Any, Any], config: TwilioConfig) -> MultiDict[str]:
    """The form parameters, if Twilio signed them for the public URL of this path and query; else 403."""
    try:
        params = parse_params(await request.body())
    except UnicodeDecodeError as exc:
        raise ProblemDetailsException(status_code=400, title="Unreadable body", detail="not UTF-8") from exc
    query = request.url.query
    try:
        verify_webhook(
            config,
            path_and_query=request.url.path + (f"?{query}" if query else ""),
            params=params,
            headers=dict(request.headers),
        )
    except SignatureRejected as exc:
        raise ProblemDetailsException(status_code=403, title="Signature rejected", detail=str(exc)) from exc
    return params


def _ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _xml(document: str) -> Response[str]:
    return Response(document, media_type=XML, status_code=200)


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def _next_ring(
    domain: Domain, twilio: TwilioConfig, *, call_sid: str, step: str, outcome: str
) -> Response[str]:
    """Record how a ring step ended and answer the TwiML of the next one (hang up on an unknown call)."""
    try:
        following = await record_ring_result(domain, call_sid=call_sid, step=step, outcome=outcome)
    except UnknownCall:
        return _xml(twiml.hangup_twiml())
    return _xml(twiml.ring_twiml(twilio, following))


class TwilioVoiceController(Controller):
    """Calls to tracking numbers, their ring steps and callbacks, and the click-to-call bridge."""

    path = twiml.VOICE_PATH
    tags = ["webhooks"]

    @post("/", summary="A call comes in to a tracking number (TwiML)", status_code=200)
    async def incoming(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        twilio: NamedDependency[TwilioConfig],
    ) -> Response[str]:
        params = await signed_params(request, twilio)
        try:
            answer = await take_inbound_call(
                domain,
                call_sid=params.get("CallSid", ""),
                caller=params.get("From", ""),
                called=params.get("To", ""),
                ip=_ip(request),
            )
        except UnknownTrackingNumber:
            return _xml(twiml.not_in_service_twiml())
        return _xml(twiml.ring_twiml(twilio, answer.step, consent_notice=answer.consent_notice))

    @post("/ring-result", summary="A Dial step ended: answered, or the next step (TwiML)", status_code=200)
    async def ring_result(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        twilio: NamedDependency[TwilioConfig],
        step: FromQuery[str],
    ) -> Response[str]:
        params = await signed_params(request, twilio)
        return await _next_ring(
            domain,
            twilio,
            call_sid=params.get("CallSid", ""),
            step=step,
            outcome=params.get("DialCallStatus", ""),
        )

    @post("/queue-result", summary="The caller left the overflow queue (TwiML)", status_code=200)
    async def queue_result(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        twilio: NamedDependency[TwilioConfig],
    ) -> Response[str]:
        params = await signed_params(request, twilio)
        outcome = QUEUE_OUTCOMES.get(params.get("QueueResult", ""), "no-answer")
        return await _next_ring(
            domain, twilio, call_sid=params.get("CallSid", ""), step="overflow_queue", outcome=outcome
        )

    @post("/voicemail-done", summary="The caller finished the voicemail (TwiML)", status_code=200)
    async def voicemail_done(
        self, request: Request[Any, Any, Any], twilio: NamedDependency[TwilioConfig]
    ) -> Response[str]:
        await signed_params(request, twilio)
        return _xml(twiml.hangup_twiml("Thank you. We will call you back soon. Goodbye."))

    @post(
        "/status", summary="Call status callback (duplicates and late ones change nothing)", status_code=204
    )
    async def status(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        twilio: NamedDependency[TwilioConfig],
        call_id: FromQuery[str | None] = None,
    ) -> None:
        params = await signed_params(request, twilio)
        await record_call_status(
            domain,
            call_sid=params.get("CallSid", ""),
            status=params.get("CallStatus", ""),
            duration=_int(params.get("CallDuration")),
            call_id=_uuid(call_id),
        )

    @post(
        "/recording",
        summary="A recording is ready: its reference goes on the lead's timeline",
        status_code=204,
    )
    async def recording(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        twilio: NamedDependency[TwilioConfig],
    ) -> None:
        params = await signed_params(request, twilio)
        if params.get("RecordingStatus", "completed") != "completed":
            return
        await attach_recording(
            domain,
            call_sid=params.get("CallSid", ""),
            recording_sid=params.get("RecordingSid", ""),
            recording_url=params.get("RecordingUrl", ""),
            duration=_int(params.get("RecordingDuration")),
        )

    @post("/transcription", summary="A voicemail transcript (stored encrypted)", status_code=204)
    async def transcription(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        twilio: NamedDependency[TwilioConfig],
    ) -> None:
        params = await signed_params(request, twilio)
        if params.get("TranscriptionStatus") != "completed":
            return
        await attach_transcript(
            domain,
            call_sid=params.get("CallSid", ""),
            transcription_sid=params.get("TranscriptionSid", ""),
            text=params.get("TranscriptionText", ""),
        )

    @post(
        "/bridge/{call_id:uuid}", summary="Click-to-call: the staff member answered (TwiML)", status_code=200
    )
    async def bridge(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        twilio: NamedDependency[TwilioConfig],
        call_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        await signed_params(request, twilio)
        return _xml(twiml.bridge_twiml(twilio, str(call_id), await bridge_for(domain, call_id)))

    @post(
        "/bridge/{call_id:uuid}/result",
        summary="Click-to-call: the lead answered or not (TwiML)",
        status_code=200,
    )
    async def bridge_result(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        twilio: NamedDependency[TwilioConfig],
        call_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        params = await signed_params(request, twilio)
        await record_bridge_result(domain, call_id, outcome=params.get("DialCallStatus", ""))
        return _xml(twiml.hangup_twiml())


class TwilioSmsController(Controller):
    """Texts to tracking numbers (keywords, replies) and the delivery status of ours."""

    path = twiml.SMS_PATH
    tags = ["webhooks"]

    @post("/", summary="A text comes in (TwiML reply for keywords)", status_code=200)
    async def incoming(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        twilio: NamedDependency[TwilioConfig],
    ) -> Response[str]:
        params = await signed_params(request, twilio)
        received = await receive_text(
            domain,
            message_sid=params.get("MessageSid", "") or params.get("SmsSid", ""),
            sender=params.get("From", ""),
            to=params.get("To", ""),
            body=params.get("Body", ""),
            ip=_ip(request),
        )
        if received.message_id is not None and received.keyword not in ("help", "opt_in"):
            await read_reminder_reply(domain, received.message_id)
        return _xml(twiml.sms_reply_twiml(received.reply))

    @post(
        "/status",
        summary="Message status callback (a delivered text never goes back to sent)",
        status_code=204,
    )
    async def status(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        twilio: NamedDependency[TwilioConfig],
        message_id: FromQuery[str | None] = None,
    ) -> None:
        params = await signed_params(request, twilio)
        await record_text_status(
            domain,
            message_sid=params.get("MessageSid", ""),
            status=params.get("MessageStatus", ""),
            message_id=_uuid(message_id),
        )


def twilio_webhooks(config: TwilioConfig) -> Router:
    """The Twilio webhooks of one account, mounted by the composition root next to the form webhook."""
    return Router(
        path="/",
        route_handlers=[TwilioVoiceController, TwilioSmsController],
        dependencies={"twilio": Provide(lambda: config, use_cache=True, sync_to_thread=False)},
    )
