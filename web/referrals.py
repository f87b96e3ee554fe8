"""The referring physicians' pages: their referrals with live status, the referral form, files."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from router.core.db_errors import NothingWritten, WriteOutcomeUnknown
from router.core.domain import Domain
from router.core.errors import InvalidFields, LeadNotFound, NotPermitted
from router.core.models import REFERRAL_URGENCIES
from router.privacy.access import MANAGING_ROLES, may_do
from router.privacy.auth import SignedIn
from router.referrals.attachments import ACCEPTED_TYPES, ATTACHMENT_MAX_BYTES, ATTACHMENTS_PER_REFERRAL
from router.referrals.destinations import destinations_for, physicians_for
from router.referrals.files import open_referral_file
from router.referrals.status import STATUS_STEPS, referrals_for
from router.referrals.submit import URGENCY_WORDS, send_referral
from web.admin.common import signed_in_or_login, submitted
from web.sessions import actor_of

LIST_REFRESH_SECONDS = 10
"""How often the open portal asks for its list again: a status change shows within ten seconds, and an
office's few open tabs cost one small query each per interval."""
UPLOAD_CHUNK_BYTES = 1 << 16
TRANSPORT_MAX_BYTES = ATTACHMENTS_PER_REFERRAL * (ATTACHMENT_MAX_BYTES + (1 << 20))
"""The route's body limit, above the files' own: a file too large is refused beside the field."""


def _referrer(signed_in: SignedIn) -> None:
    if not may_do(signed_in.viewer, "referral.send"):
        raise NotPermitted("The referral portal is for referring physicians and their office staff.")


async def _list_context(
    request: Request[Any, Any, Any], domain: Domain, signed_in: SignedIn
) -> dict[str, Any]:
    async with domain.sessionmaker() as session, session.begin():
        rows = await referrals_for(session, domain, signed_in.viewer, actor=actor_of(request, signed_in))
    return {"referrals": rows, "steps": STATUS_STEPS, "urgency_words": URGENCY_WORDS}


@get("/referrals", include_in_schema=False)
async def referrals_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """A referrer's landing page: their referrals, newest first, with status; managers go to scorecards."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    if signed_in.viewer.role in MANAGING_ROLES:
        return Redirect("/referrers")
    _referrer(signed_in)
    context = await _list_context(request, domain, signed_in)
    sent = request.query_params.get("sent")
    return Template(
        "referrals.html",
        context={
            "viewer": signed_in.viewer,
            "current_page": "referrals",
            "refresh": LIST_REFRESH_SECONDS,
            "sent": sent,
            **context,
        },
    )


@get("/referrals/list", include_in_schema=False)
async def referrals_list(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """The list alone, which the open page fetches again every few seconds."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    _referrer(signed_in)
    return Template("referrals_list.html", context=await _list_context(request, domain, signed_in))


async def _form(domain: Domain, signed_in: SignedIn, **context: Any) -> Template:
    async with domain.sessionmaker() as session:
        destinations = await destinations_for(session, signed_in.viewer)
        physicians = await physicians_for(session, signed_in.viewer)
    values = {"urgency": "routine", "submission_key": secrets.token_urlsafe(24), **context.pop("values", {})}
    return Template(
        "referral_new.html",
        context={
            "viewer": signed_in.viewer,
            "current_page": "referral-new",
            "destinations": [(d.value, d.label) for d in destinations],
            "physicians": [(str(i), name) for i, name in physicians],
            "urgencies": [(u, URGENCY_WORDS[u]) for u in REFERRAL_URGENCIES],
            "accept": ",".join(ACCEPTED_TYPES),
            "max_files": ATTACHMENTS_PER_REFERRAL,
            "values": values,
            "errors": context.pop("errors", {}),
            **context,
        },
        status_code=context.pop("status_code", 200),
    )


@get("/referrals/new", include_in_schema=False)
async def referral_form(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """The "Refer a patient" form."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    _referrer(signed_in)
    return await _form(domain, signed_in)


async def _files(request: Request[Any, Any, Any]) -> list[tuple[str, bytes]]:
    """The attached files, each read to at most its limit plus one chunk (a bigger one is refused)."""
    form = await request.form()
    files = []
    for item in form.getall("attachments") if "attachments" in form else []:
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        chunks, size = [], 0
        while size <= ATTACHMENT_MAX_BYTES:
            chunk = await item.read(UPLOAD_CHUNK_BYTES)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        await item.close()
        files.append((item.filename, b"".join(chunks)))
    return files


@post("/referrals", include_in_schema=False, request_max_body_size=TRANSPORT_MAX_BYTES)
async def referral_send(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Send the referral: its lead reaches the practice's board at once; errors beside their fields."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    _referrer(signed_in)
    form = await submitted(request)
    try:
        await send_referral(
            domain, signed_in.viewer, form, await _files(request), actor=actor_of(request, signed_in)
        )
    except InvalidFields as exc:
        return await _form(domain, signed_in, values=form, errors=exc.errors, status_code=422)
    except (NothingWritten, WriteOutcomeUnknown):
        problem = {"form": "The practice's system did not take the referral just now; send the form again."}
        return await _form(domain, signed_in, values=form, errors=problem, status_code=503)
    return Redirect("/referrals?sent=1", status_code=303)


@get("/referrals/files/{file_id:uuid}", include_in_schema=False)
async def referral_file(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], file_id: FromPath[uuid.UUID]
) -> Response[bytes] | Redirect:
    """A referral's file, for its referrer or staff who may see its lead; 404 for anyone else."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    async with domain.sessionmaker() as session, session.begin():
        opened = await open_referral_file(
            session, domain, signed_in.viewer, file_id, actor=actor_of(request, signed_in)
        )
    if opened is None:
        raise LeadNotFound("No such file in your referrals.")
    safe_name = "".join(c for c in opened.file_name if c.isalnum() or c in "._- ") or "attachment"
    return Response(
        opened.content,
        media_type=opened.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{safe_name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


REFERRER_HANDLERS = [referrals_page, referrals_list, referral_form, referral_send, referral_file]
