"""`POST /webhooks/forms/{source_key}`: verify, parse, hand to the intake, answer."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException

from connectors.forms.openapi import InquiryOperation
from connectors.forms.payload import MalformedBody, parse_form_body
from connectors.forms.signature import SignatureRejected, verify_delivery
from connectors.openapi import problems
from router.core.domain import Domain
from router.intake.form_deliveries import outcome_of, record_delivery
from router.intake.form_sources import FormSourceView, load_form_source
from router.intake.normalize import InvalidInquiry
from router.intake.pipeline import IdempotencyConflict, InquiryCommand, announce_intake, store_inquiry
from router.privacy.audit import Actor

log = logging.getLogger("leadrouter.forms")


class FormWebhookController(Controller):
    """Inquiries from web forms and form providers."""

    path = "/webhooks/forms"
    tags = ["webhooks"]

    @post(
        "/{source_key:str}",
        summary="Receive a signed web-form inquiry",
        description=(
            "Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature) over the raw "
            "body; "
            "JSON or form-encoded flat fields. 201: new lead; 200: merged into the person's open lead or a "
            "replay of an earlier delivery with the same webhook-id; 401: bad signature; 404: unknown form; "
            "413: body too large; 415: unsupported content type; 422: bad fields (problem+json with errors); "
            "503: database unavailable, retry later."
        ),
        status_code=201,
        operation_class=InquiryOperation,
        responses={
            200: ResponseSpec(
                data_container=dict[str, Any],
                description="merged into the person's open lead, or the first answer again for a retried id",
                generate_examples=False,
            ),
            **problems(
                s400="the body cannot be read (not JSON, nested too deeply)",
                s401="the signature is missing, wrong or too old",
                s404="no form source with this key",
                s409="the webhook-id was already used for a different body",
                s413="the body is larger than the limit",
                s415="the content type is neither JSON nor form-encoded",
                s422="bad fields, each named in `errors`; nothing was stored",
                s503="the database is unavailable; retry later with the same webhook-id",
            ),
        },
    )
    async def receive(
        self, request: Request[Any, Any, Any], source_key: FromPath[str], domain: NamedDependency[Domain]
    ) -> Response[Any]:
        now = domain.clock.now()
        source = await load_form_source(domain, source_key, now=now)
        if source is None:
            raise NotFoundException(detail=f"no form source {source_key!r}")
        try:
            return await _receive(request, domain, source, now)
        except InvalidInquiry as exc:
            fields = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            await _refused(domain, source, now, 422, f"validation failed ({fields})", request)
            raise
        except HTTPException as exc:
            if exc.status_code < 500:
                await _refused(domain, source, now, exc.status_code, _reason(exc), request)
            raise


def _reason(exc: HTTPException) -> str:
    kinds = {401: "signature", 409: "delivery id reused", 413: "too large", 415: "content type"}
    return f"{kinds.get(exc.status_code, 'unreadable body')}: {exc.detail}"


async def _refused(
    domain: Domain,
    source: FormSourceView,
    now: datetime,
    status: int,
    reason: str,
    request: Request[Any, Any, Any],
) -> None:
    """Note a refused delivery for the web forms screen; a failure to note it never changes the answer."""
    try:
        await record_delivery(
            domain,
            form_source_id=source.id,
            received_at=now,
            status_code=status,
            outcome="refused",
            reason=reason.replace("\x00", ""),
            webhook_id=request.headers.get("webhook-id", "").replace("\x00", ""),
        )
    except Exception as exc:  # the database may be what failed; the sender still gets its answer
        log.warning("could not record a refused delivery to form %s: %s", source.key, type(exc).__name__)


async def _note_answered(domain: Domain, source_key: str, **delivery: Any) -> None:
    """Note an answered delivery after the answer went out; a database outage costs only this note
    (one line in the log, not a traceback after the response)."""
    try:
        await record_delivery(domain, **delivery)
    except Exception as exc:  # the sender has its answer; the troubleshooting list misses one line
        log.warning("could not record a delivery to form %s: %s", source_key, type(exc).__name__)


async def _receive(
    request: Request[Any, Any, Any], domain: Domain, source: FormSourceView, now: datetime
) -> Response[Any]:
    body = await request.body()
    try:
        webhook_id = verify_delivery(body, dict(request.headers), source.secrets)
    except SignatureRejected as exc:
        raise ProblemDetailsException(status_code=401, title="Signature rejected", detail=str(exc)) from exc
    try:
        fields = parse_form_body(body, request.headers.get("content-type"))
    except MalformedBody as exc:
        raise ProblemDetailsException(
            status_code=exc.status_code, title="Unreadable body", detail=str(exc)
        ) from exc
    command = InquiryCommand(
        practice_id=source.practice_id,
        source_kind="form",
        fields=fields,
        received_at=now,
        actor=Actor("integration", f"form:{source.key}", request.client.host if request.client else None),
        idempotency_scope=f"form:{source.key}",
        idempotency_key=webhook_id,
        request_sha256=hashlib.sha256(body).digest(),
        form_source_id=source.id,
        default_location_id=source.default_location_id,
    )
    try:
        result = await store_inquiry(domain, command)
    except IdempotencyConflict as exc:
        raise ProblemDetailsException(
            status_code=409,
            title="Delivery id reused",
            detail=f"webhook-id {webhook_id!r} was already used for a different body",
        ) from exc
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    delivered = BackgroundTask(
        _note_answered,
        domain,
        source.key,
        form_source_id=source.id,
        received_at=now,
        status_code=result.status_code,
        outcome=outcome_of(result.status_code, replayed=result.replayed),
        lead_id=result.lead_id,
        webhook_id=webhook_id,
    )
    return Response(
        {k: v for k, v in result.body.items() if k != "event"},
        status_code=result.status_code,
        headers=headers,
        background=BackgroundTasks(
            [BackgroundTask(announce_intake, domain, source.practice_id, result), delivered]
        ),
    )
