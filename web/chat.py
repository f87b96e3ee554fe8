"""The lead page's chat: `/leads/{id}/chat`, a fragment the lead page includes (transcript and reply box).

Replies post back to the same fragment: it re-renders with the reply "sent", or "not delivered"
with a retry button. `/leads/{id}/referral` is the same kind of fragment for a referred lead.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from router.chat.replies import retry_chat_reply, send_chat_reply
from router.chat.transcript import transcript_for_lead
from router.core.domain import Domain
from router.core.errors import InvalidChoice, LeadNotFound
from router.core.models import Lead
from router.privacy import audit
from router.privacy.auth import SignedIn
from router.referrals.patient_links import make_referral_link, referral_link
from router.referrals.status import referral_for_lead
from web.admin.common import signed_in_or_login, submitted
from web.sessions import actor_of


async def _fragment(
    request: Request[Any, Any, Any], domain: Domain, signed_in: SignedIn, lead_id: uuid.UUID, **context: Any
) -> Template:
    async with domain.sessionmaker() as session, session.begin():
        transcript = await transcript_for_lead(
            session, domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in)
        )
    if transcript is None:
        raise LeadNotFound("That lead is not in your scope, or it does not exist.")
    return Template(
        "lead_chat.html",
        context={"transcript": transcript, "error": None, **context},
        status_code=context.pop("status_code", 200),
    )


@get("/leads/{lead_id:uuid}/chat", include_in_schema=False)
async def lead_chat(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """The lead's chat transcript and reply box (404 outside the viewer's scope)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _fragment(request, domain, signed_in, lead_id)


@post("/leads/{lead_id:uuid}/chat/replies", include_in_schema=False)
async def lead_chat_reply(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Send a reply into the patient's chat; the fragment comes back with its delivery state."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        await send_chat_reply(
            domain, signed_in.viewer, lead_id, str(form.get("body", "")), actor=actor_of(request, signed_in)
        )
    except InvalidChoice as exc:
        return await _fragment(request, domain, signed_in, lead_id, error=str(exc), status_code=422)
    return await _fragment(request, domain, signed_in, lead_id)


@post("/leads/{lead_id:uuid}/chat/replies/{message_id:uuid}/retry", include_in_schema=False)
async def lead_chat_retry(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    lead_id: FromPath[uuid.UUID],
    message_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    """Send a reply that was not delivered again."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    await retry_chat_reply(domain, signed_in.viewer, lead_id, message_id, actor=actor_of(request, signed_in))
    return await _fragment(request, domain, signed_in, lead_id)


@get("/leads/{lead_id:uuid}/referral", include_in_schema=False)
async def lead_referral(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """The referral behind a lead (who sent it, why, how soon, its files), for the lead page to include."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    async with domain.sessionmaker() as session, session.begin():
        lead = await session.get(Lead, lead_id)
        if lead is None or not signed_in.viewer.may_see(lead):
            raise LeadNotFound("That lead is not in your scope, or it does not exist.")
        summary = await referral_for_lead(session, domain, signed_in.viewer, lead_id)
        if summary is not None:
            audit.record_read(
                session,
                actor=actor_of(request, signed_in),
                practice_id=lead.practice_id,
                lead_id=lead_id,
                via="referral",
            )
    return Template("lead_referral.html", context={"referral": summary})


@get("/leads/{lead_id:uuid}/referral-link", include_in_schema=False)
async def lead_referral_link(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """The patient's referral link to share (or the button that makes it)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    async with domain.sessionmaker() as session:
        link = await referral_link(session, signed_in.viewer, lead_id)
    return Template("lead_referral_link.html", context={"link": link})


@post("/leads/{lead_id:uuid}/referral-link", include_in_schema=False)
async def lead_referral_link_make(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Make the patient's referral code (the same one on every later request)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    link = await make_referral_link(domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in))
    return Template("lead_referral_link.html", context={"link": link})


LEAD_FRAGMENT_HANDLERS = [
    lead_chat,
    lead_chat_reply,
    lead_chat_retry,
    lead_referral,
    lead_referral_link,
    lead_referral_link_make,
]
