"""`/break-glass`: open a practice's patient records outside one's scope, with a reason and a time limit."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from sqlalchemy import select

from router.core.domain import Domain
from router.core.errors import ActionRefused
from router.core.models import Practice
from router.privacy.access import PLATFORM_OPERATOR, may_do
from router.privacy.auth import SignedIn
from router.privacy.break_glass import (
    MAX_MINUTES,
    acknowledge_lapsed,
    end_break_glass,
    lapsed_grant,
    start_break_glass,
)
from web.forms import Form
from web.sessions import actor_of, current_session

DURATIONS = (15, 30, MAX_MINUTES)
"""The choices offered, in minutes."""


async def _practices(domain: Domain, signed_in: SignedIn) -> list[tuple[uuid.UUID, str]]:
    query = select(Practice.id, Practice.name).order_by(Practice.name)
    if signed_in.viewer.role != PLATFORM_OPERATOR:
        query = query.where(Practice.id == signed_in.viewer.practice_id)
    async with domain.sessionmaker() as session:
        return [(row.id, row.name) for row in await session.execute(query)]


async def _zone_of(domain: Domain, practice_id: uuid.UUID | None) -> str:
    """The time zone of the practice a grant opens (its times are shown there), else UTC."""
    if practice_id is None:
        return "UTC"
    async with domain.sessionmaker() as session:
        zone = await session.scalar(select(Practice.time_zone).where(Practice.id == practice_id))
    return zone or "UTC"


async def _page(
    request: Request[Any, Any, Any],
    domain: Domain,
    signed_in: SignedIn,
    status_code: int = 200,
    **context: Any,
) -> Template:
    viewer = signed_in.viewer
    lapsed = await lapsed_grant(domain, viewer) if viewer.break_glass is None else None
    await acknowledge_lapsed(domain, viewer)
    granted = viewer.break_glass.practice_id if viewer.break_glass else lapsed.practice_id if lapsed else None
    return Template(
        "break_glass.html",
        context={
            "viewer": viewer,
            "allowed": may_do(viewer, "break_glass.start"),
            "practices": await _practices(domain, signed_in),
            "durations": DURATIONS,
            "lapsed": lapsed,
            "zone": await _zone_of(domain, granted),
            "error": None,
            "values": {},
            **context,
        },
        status_code=status_code,
    )


@get("/break-glass", include_in_schema=False)
async def break_glass_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """The current grant, or the form to start one (and, after a grant lapsed, a note saying so)."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    return await _page(request, domain, signed_in)


@post("/break-glass", include_in_schema=False, status_code=200)
async def break_glass_start(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], data: Form
) -> Template | Redirect:
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    try:
        practice_id = uuid.UUID(data.get("practice_id", ""))
        minutes = int(data.get("minutes", "0"))
    except ValueError:
        return await _page(
            request,
            domain,
            signed_in,
            error="Choose a practice and a duration.",
            values=data,
            status_code=422,
        )
    try:
        await start_break_glass(
            domain,
            signed_in.viewer,
            practice_id=practice_id,
            reason=data.get("reason", ""),
            minutes=minutes,
            actor=actor_of(request, signed_in),
        )
    except ActionRefused as exc:
        return await _page(
            request, domain, signed_in, error=str(exc), values=data, status_code=exc.status_code
        )
    return Redirect("/break-glass", status_code=303)


@post("/break-glass/end", include_in_schema=False)
async def break_glass_end(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Redirect:
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    await end_break_glass(domain, signed_in.viewer, actor=actor_of(request, signed_in))
    return Redirect("/break-glass", status_code=303)
