"""`/admin/practices` and `/admin/call-centers`: the platform operator's screens."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.practices.location_admin import TIME_ZONES
from router.practices.platform import (
    add_call_center,
    add_practice,
    invite_agent,
    list_call_centers,
    list_practices,
    set_agent_active,
    set_served_practices,
)
from router.privacy.auth import SignedIn
from web.admin.common import page, refused, signed_in_or_login, submitted
from web.sessions import actor_of

ZONES = list(TIME_ZONES.items())


async def _practices(domain: Domain, signed_in: SignedIn, **context: Any) -> Template:
    rows = await list_practices(domain, signed_in.viewer)
    return page(
        "admin/practices.html", signed_in, "practices", rows=rows, zones=ZONES, **{"notice": None, **context}
    )


async def _centers(domain: Domain, signed_in: SignedIn, **context: Any) -> Template:
    rows, practices = await list_call_centers(domain, signed_in.viewer)
    return page(
        "admin/call_centers.html",
        signed_in,
        "call-centers",
        rows=rows,
        practices=practices,
        zones=ZONES,
        **{"notice": None, "agent_errors": {}, "agent_values": {}, "agent_center": None, **context},
    )


@get("/admin/practices", include_in_schema=False)
async def practices_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Every practice on the platform with its offices, staff, practice admins and call centers."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _practices(domain, signed_in, values={"time_zone": "America/Chicago"})


@post("/admin/practices", include_in_schema=False)
async def practice_add(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """A new practice, its first office, and its practice admin invited by email."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        sent = await add_practice(domain, signed_in.viewer, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        return await _practices(domain, signed_in, values=form, **refused(exc))
    notice = f"Practice added. {sent.name} is invited as its practice admin: invitation {sent.email_outcome}."
    return await _practices(domain, signed_in, notice=notice, status_code=201)


@get("/admin/call-centers", include_in_schema=False)
async def call_centers_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Overflow call centers: their agents and the practices each one serves."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _centers(domain, signed_in, values={"time_zone": "America/Chicago"})


@post("/admin/call-centers", include_in_schema=False)
async def call_center_add(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        await add_call_center(domain, signed_in.viewer, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        return await _centers(domain, signed_in, values=form, **refused(exc))
    return Redirect("/admin/call-centers", status_code=303)


@post("/admin/call-centers/{center_id:uuid}/practices", include_in_schema=False)
async def call_center_practices(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], center_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Save which practices the call center serves."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    chosen = (await submitted(request)).get("practices", [])
    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
    served = await set_served_practices(
        domain, signed_in.viewer, center_id, chosen, actor=actor_of(request, signed_in)
    )
    return await _centers(
        domain, signed_in, notice=f"Saved: it serves {served} practice{'' if served == 1 else 's'}."
    )


@post("/admin/call-centers/{center_id:uuid}/agents", include_in_schema=False)
async def call_center_agent(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], center_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Invite an overflow agent of this call center by email."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        sent = await invite_agent(
            domain, signed_in.viewer, center_id, form, actor=actor_of(request, signed_in)
        )
    except InvalidFields as exc:
        return await _centers(
            domain,
            signed_in,
            agent_errors=exc.errors,
            agent_values=form,
            agent_center=center_id,
            status_code=422,
        )
    return await _centers(
        domain, signed_in, notice=f"{sent.name} is invited: invitation {sent.email_outcome}."
    )


@post("/admin/agents/{user_id:uuid}/active", include_in_schema=False)
async def agent_active(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], user_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Deactivate an agent (signed out at once) or bring them back."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    active = (await submitted(request)).get("active") == "1"
    agent = await set_agent_active(
        domain, signed_in.viewer, user_id, active=active, actor=actor_of(request, signed_in)
    )
    words = "can sign in again" if active else "is deactivated and signed out everywhere"
    return await _centers(domain, signed_in, notice=f"{agent.display_name} {words}.")
