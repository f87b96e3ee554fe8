"""`POST /webhooks/chat/{source_key}`: a chat transcript (or its new part), signed with Standard Webhooks.

Body (JSON): `conversation_id` (string, required); `contact` {`name`, `email`, `phone`}; `page_url`;
`status`; `messages`: [{`id` (string, required), `direction` ("in" from the patient, "out" from the
practice), `body`, `sent_at` (ISO 8601)}]. The same conversation may be posted again as it grows:
messages already stored (by id) are skipped, and the conversation has one lead.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException

from connectors.forms.signature import SignatureRejected, verify_delivery
from connectors.openapi import problems
from router.chat.conversations import ChatContact, ChatLine, ChatUpdate, take_chat_update
from router.chat.sources import load_chat_source
from router.core.domain import Domain

MESSAGES_PER_DELIVERY = 500
"""Messages one delivery may carry: a long conversation, not a whole inbox's export."""


def _text(
    value: Any, field: str, errors: list[dict[str, str]], limit: int, *, required: bool = False
) -> str | None:
    if value is None or value == "":
        if required:
            errors.append({"field": field, "message": "is required"})
        return None
    if not isinstance(value, str) or "\x00" in value:
        errors.append({"field": field, "message": "must be text"})
        return None
    return value.strip()[:limit] or None


def _when(value: Any, field: str, errors: list[dict[str, str]], now: datetime) -> datetime:
    if value is None:
        return now
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        errors.append({"field": field, "message": "must be an ISO 8601 time with its offset"})
        return now
    if moment.tzinfo is None:
        errors.append({"field": field, "message": "must include a UTC offset"})
        return now
    return moment


def transcript_update(payload: Any, *, now: datetime) -> ChatUpdate:
    """The transcript as a `ChatUpdate`; 422 naming every bad field."""
    errors: list[dict[str, str]] = []
    if not isinstance(payload, dict):
        raise ProblemDetailsException(
            status_code=422, title="Invalid transcript", detail="a JSON object is expected"
        )
    conversation = _text(payload.get("conversation_id"), "conversation_id", errors, 100, required=True)
    contact = payload.get("contact") if isinstance(payload.get("contact"), dict) else {}
    messages = payload.get("messages", [])
    if not isinstance(messages, list) or len(messages) > MESSAGES_PER_DELIVERY:
        errors.append({"field": "messages", "message": f"must be a list of at most {MESSAGES_PER_DELIVERY}"})
        messages = []
    lines = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            errors.append({"field": f"messages[{i}]", "message": "must be an object"})
            continue
        direction = message.get("direction")
        if direction not in ("in", "out"):
            errors.append({"field": f"messages[{i}].direction", "message": 'must be "in" or "out"'})
        external = _text(message.get("id"), f"messages[{i}].id", errors, 100, required=True)
        body = _text(message.get("body"), f"messages[{i}].body", errors, 5000)
        sent_at = _when(message.get("sent_at"), f"messages[{i}].sent_at", errors, now)
        if external and direction in ("in", "out"):
            lines.append(ChatLine(external, str(direction), body, sent_at))
    update = ChatUpdate(
        conversation_id=conversation or "",
        contact=ChatContact(
            name=_text(contact.get("name"), "contact.name", errors, 200),
            email=_text(contact.get("email"), "contact.email", errors, 254),
            phone=_text(contact.get("phone"), "contact.phone", errors, 40),
        ),
        page_url=_text(payload.get("page_url"), "page_url", errors, 2000),
        status=_text(payload.get("status"), "status", errors, 16),
        lines=tuple(lines),
    )
    if errors:
        raise ProblemDetailsException(
            status_code=422,
            title="Invalid transcript",
            detail="some fields are wrong",
            extra={"errors": errors},
        )
    return update


class ChatTranscriptController(Controller):
    """Chat transcripts from any chat tool, signed like the web forms."""

    path = "/webhooks/chat"
    tags = ["webhooks"]

    @post(
        "/{source_key:str}",
        summary="Receive a signed chat transcript",
        description=(
            "Standard Webhooks signature over the raw JSON body. 201: the conversation became a new lead; "
            "200: stored (attached, merged, waiting for contact details, or a retried webhook-id); 401: bad "
            "signature; 404: unknown source; 422: bad fields, each named in `errors`."
        ),
        responses=problems(
            s400="the body is not JSON",
            s401="the signature is missing, wrong or too old",
            s404="no chat-transcript source with this key",
            s413="the body is larger than the limit",
            s422="bad fields, each named in `errors`; nothing was stored",
        ),
    )
    async def receive(
        self, request: Request[Any, Any, Any], source_key: FromPath[str], domain: NamedDependency[Domain]
    ) -> Response[Any]:
        now = domain.clock.now()
        source = await load_chat_source(domain, source_key, kind="transcript")
        if source is None:
            raise NotFoundException(detail=f"no chat-transcript source {source_key!r}")
        body = await request.body()
        try:
            webhook_id = verify_delivery(
                body, dict(request.headers), [source.signing_secret] if source.signing_secret else []
            )
        except SignatureRejected as exc:
            raise ProblemDetailsException(
                status_code=401, title="Signature rejected", detail=str(exc)
            ) from exc
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProblemDetailsException(
                status_code=400, title="Unreadable body", detail="not JSON"
            ) from exc
        news = transcript_update(payload, now=now)
        ip = request.client.host if request.client else None
        outcome = await take_chat_update(domain, source, news, delivery_id=webhook_id, ip=ip)
        headers = {"Idempotent-Replayed": "true"} if outcome.body.get("replayed") else {}
        return Response(outcome.body, status_code=outcome.status_code, headers=headers)
