"""`POST /webhooks/chatwoot/{source_key}` (signed) and `.../{source_key}/{url_secret}` (older Chatwoot).

A source with Chatwoot's webhook secret accepts only deliveries signed with it; one with a URL
secret only deliveries to its secret URL; one with neither refuses everything (401), as does a
wrong signature or secret. `X-Chatwoot-Delivery` is the retry key: a delivery seen before gets its
first answer and changes nothing.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException

from connectors.chatwoot.payload import UnusablePayload, chat_update
from connectors.chatwoot.signature import DELIVERY, ChatwootSignatureRejected, verify
from connectors.openapi import problems
from router.chat.conversations import take_chat_update
from router.chat.sources import ChatSourceView, load_chat_source
from router.core.domain import Domain

DESCRIPTION = (
    "Chatwoot webhook events conversation_created, message_created and conversation_status_changed "
    "(others are answered 200 and ignored). 201: the conversation became a new lead; 200: stored "
    "(attached to its lead, merged into the person's open lead, waiting for contact details, or a "
    "retried X-Chatwoot-Delivery); 401: signature or URL secret wrong or missing, or the source has "
    "neither; 404: unknown source; 422: the payload lacks what its event needs."
)
RESPONSES = problems(
    s400="the body is not JSON",
    s401="signature or URL secret missing or wrong (or none configured)",
    s404="no Chatwoot source with this key",
    s413="the body is larger than the limit",
    s422="the payload lacks a field its event needs (named in `errors`)",
)


def _refused(detail: str) -> ProblemDetailsException:
    return ProblemDetailsException(status_code=401, title="Delivery refused", detail=detail)


def _admit(
    source: ChatSourceView, request: Request[Any, Any, Any], body: bytes, url_secret: str | None, now
) -> None:  # type: ignore[no-untyped-def]
    if source.signing_secret:
        try:
            verify(body, dict(request.headers), secret=source.signing_secret, now=now)
        except ChatwootSignatureRejected as exc:
            raise _refused(str(exc)) from exc
        return
    if source.url_secret:
        if url_secret is None or not hmac.compare_digest(url_secret.encode(), source.url_secret.encode()):
            raise _refused("this source takes deliveries only at its secret URL")
        return
    raise _refused("this chat source has no webhook secret or URL secret configured")


async def _receive(
    request: Request[Any, Any, Any], domain: Domain, source_key: str, url_secret: str | None
) -> Response[Any]:
    now = domain.clock.now()
    source = await load_chat_source(domain, source_key, kind="chatwoot")
    if source is None:
        raise NotFoundException(detail=f"no Chatwoot source {source_key!r}")
    body = await request.body()
    _admit(source, request, body, url_secret, now)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProblemDetailsException(status_code=400, title="Unreadable body", detail="not JSON") from exc
    try:
        news = chat_update(payload, now=now)
    except UnusablePayload as exc:
        raise ProblemDetailsException(
            status_code=422,
            title="Unusable payload",
            detail=str(exc),
            extra={"errors": [{"field": exc.field, "message": str(exc)}]},
        ) from exc
    if news is None:
        return Response({"ignored": payload.get("event")}, status_code=200)
    delivery = (request.headers.get(DELIVERY) or "").replace("\x00", "")[:200] or None
    ip = request.client.host if request.client else None
    outcome = await take_chat_update(domain, source, news, delivery_id=delivery, ip=ip)
    headers = {"Idempotent-Replayed": "true"} if outcome.body.get("replayed") else {}
    return Response(outcome.body, status_code=outcome.status_code, headers=headers)


class ChatwootWebhookController(Controller):
    """Conversations and messages from a practice's Chatwoot."""

    path = "/webhooks/chatwoot"
    tags = ["webhooks"]

    @post(
        "/{source_key:str}",
        summary="Receive a signed Chatwoot event",
        description=DESCRIPTION,
        responses=RESPONSES,
    )
    async def signed(
        self, request: Request[Any, Any, Any], source_key: FromPath[str], domain: NamedDependency[Domain]
    ) -> Response[Any]:
        return await _receive(request, domain, source_key, None)

    @post(
        "/{source_key:str}/{url_secret:str}",
        summary="Receive a Chatwoot event at a source's secret URL",
        description=DESCRIPTION,
        responses=RESPONSES,
    )
    async def with_url_secret(
        self,
        request: Request[Any, Any, Any],
        source_key: FromPath[str],
        url_secret: FromPath[str],
        domain: NamedDependency[Domain],
    ) -> Response[Any]:
        return await _receive(request, domain, source_key, url_secret)
