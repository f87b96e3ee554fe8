"""The lead page (`/leads/{id}`): contact, message, score, journey, consent and the activity stream.

The page listens on the board's websocket (web/static/live.js) and reloads its live part when an
event about this lead arrives; every load is a PHI read, audited by `get_lead`. Recordings play
through `/leads/{id}/calls/{call_id}/recording`: signed in, in scope, audited, fetched from the
provider with the account's credentials (the provider's own link is never shown).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import LeadNotFound
from router.core.events import latest_event_id
from router.nurture.call_tasks import stop_follow_up
from router.nurture.screens import lead_panel
from router.phones.recordings import recording_for
from router.privacy.auth import SignedIn
from router.privacy.break_glass import lapsed_grant
from router.reviews.complaints import complaint_open_for
from router.workspace.lead_page import LeadTimeline, lead_timeline
from router.workspace.texts_inbox import mark_texts_read
from web.sessions import actor_of, current_session


async def _page(
    request: Request[Any, Any, Any], domain: Domain, signed_in: SignedIn, lead_id: uuid.UUID
) -> tuple[LeadTimeline | None, int]:
    """The lead's page content (None out of scope) and the stream position read before it."""
    async with domain.transaction() as session:
        position = await latest_event_id(session)
        timeline = await lead_timeline(
            session, domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in)
        )
        if timeline is not None:
            await mark_texts_read(session, signed_in.viewer, lead_id, now=domain.clock.now())
    return timeline, position


@get("/leads/{lead_id:uuid}", include_in_schema=False)
async def timeline_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Everything about one lead in the viewer's scope; 404 when out of scope."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    timeline, position = await _page(request, domain, signed_in, lead_id)
    if timeline is None:
        if await lapsed_grant(domain, signed_in.viewer) is not None:
            return Redirect("/break-glass")  # their emergency access ran out: that page says so
        raise LeadNotFound("That lead is not in your scope, or it does not exist.")
    async with domain.sessionmaker() as session:
        follow_up = await lead_panel(session, lead_id)
        complaint = await complaint_open_for(session, lead_id)
    context = {
        "viewer": signed_in.viewer,
        "timeline": timeline,
        "position": position,
        "follow_up": follow_up,
        "complaint_open": complaint,
    }
    return Template("lead.html", context=context)


@post("/leads/{lead_id:uuid}/follow-up/stop", include_in_schema=False)
async def stop_follow_up_action(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Redirect:
    """Stop the lead's follow-up sequence (queued messages are cancelled, not sent)."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    await stop_follow_up(domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in))
    return Redirect(f"/leads/{lead_id}#follow-up", status_code=303)


@get("/leads/{lead_id:uuid}/live", include_in_schema=False)
async def lead_live(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """The page's live part (state, actions, activity), reloaded when an event about the lead arrives."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    timeline, _ = await _page(request, domain, signed_in, lead_id)
    if timeline is None:
        raise LeadNotFound("That lead is not in your scope, or it does not exist.")
    context = {"viewer": signed_in.viewer, "timeline": timeline, "oob": True}
    return Template("lead_live.html", context=context)


@get("/leads/{lead_id:uuid}/calls/{call_id:uuid}/recording", include_in_schema=False)
async def call_recording(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    lead_id: FromPath[uuid.UUID],
    call_id: FromPath[uuid.UUID],
) -> Response[bytes] | Redirect:
    """A call's recording for the page's player: in scope only, every play audited, never cached."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    audio = await recording_for(
        domain, signed_in.viewer, lead_id, call_id, actor=actor_of(request, signed_in)
    )
    return Response(
        audio, media_type="audio/mpeg", headers={"Cache-Control": "no-store", "Content-Disposition": "inline"}
    )
