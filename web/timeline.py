"""The lead timeline page (`/leads/{id}`), where dashboard breaches and manager alerts link."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import LeadNotFound
from router.leads.timeline import lead_timeline
from router.nurture.call_tasks import stop_follow_up
from router.nurture.screens import lead_panel
from router.privacy.break_glass import lapsed_grant
from web.sessions import actor_of, current_session


@get("/leads/{lead_id:uuid}", include_in_schema=False)
async def timeline_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Everything that happened to one lead in the viewer's scope; 404 when out of scope."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    async with domain.sessionmaker() as session, session.begin():
        timeline = await lead_timeline(
            session, domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in)
        )
        follow_up = await lead_panel(session, lead_id) if timeline is not None else None
    if timeline is None:
        if await lapsed_grant(domain, signed_in.viewer) is not None:
            return Redirect("/break-glass")  # their emergency access ran out: that page says so
        raise LeadNotFound("That lead is not in your scope, or it does not exist.")
    return Template(
        "timeline.html", context={"viewer": signed_in.viewer, "timeline": timeline, "follow_up": follow_up}
    )


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
