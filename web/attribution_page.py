"""The managers' attribution page: the latest (or a chosen) run's credit tables, and "run now"."""

from __future__ import annotations

import uuid
from typing import Any

from arq import ArqRedis
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Parameter
from litestar.response import Redirect, Template
from sqlalchemy import select

from router.access import Viewer
from router.attribution_runs import attribution_overview, enqueue_run, request_run
from router.context import Domain
from router.models import Practice
from web.sessions import current_session

ATTRIBUTION_PAGE_ROLES = frozenset({"manager", "admin"})
"""Budget decisions are the manager's; the front desk has no use for channel credit."""


async def _practice_of(domain: Domain, viewer: Viewer, practice: uuid.UUID | None) -> uuid.UUID:
    """The manager's own practice; for an admin the chosen one, else the first by name."""
    if viewer.role not in ATTRIBUTION_PAGE_ROLES:
        raise PermissionDeniedException("the attribution page is for managers and admins")
    if viewer.role == "manager":
        if viewer.practice_id is None:
            raise PermissionDeniedException("this manager belongs to no practice")
        return viewer.practice_id
    query = select(Practice.id).order_by(Practice.name).limit(1)
    async with domain.sessionmaker() as session:
        found = await session.scalar(query if practice is None else query.where(Practice.id == practice))
    if found is None:
        raise NotFoundException("no such practice")
    return found


@get("/attribution", include_in_schema=False)
async def attribution_page(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    practice: uuid.UUID | None = Parameter(default=None, description="admins: which practice"),
    run: uuid.UUID | None = Parameter(default=None, description="an earlier run to show"),
) -> Template | Redirect:
    """Last touch vs data-driven credit, primary/contributing, cost per booking, budget moves, runs."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    practice_id = await _practice_of(domain, signed_in.viewer, practice)
    async with domain.sessionmaker() as session:
        overview = await attribution_overview(session, practice_id, run_id=run, now=domain.clock.now())
    if overview is None:
        raise NotFoundException("no such run for this practice")
    return Template("attribution.html", context={"viewer": signed_in.viewer, "overview": overview})


@post("/attribution/run", include_in_schema=False)
async def attribution_run_now(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    redis: NamedDependency[ArqRedis],
    practice: uuid.UUID | None = Parameter(default=None),
) -> Redirect:
    """Queue a run for the worker (or find the pending one) and go back to the page."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    practice_id = await _practice_of(domain, signed_in.viewer, practice)
    async with domain.sessionmaker() as session, session.begin():
        queued, _ = await request_run(
            session, practice_id, requested_by=str(signed_in.viewer.user_id), now=domain.clock.now()
        )
    await enqueue_run(redis, domain.settings.redis.queue_name, queued.id)
    suffix = f"?practice={practice_id}" if signed_in.viewer.role == "admin" else ""
    return Redirect(f"/attribution{suffix}", status_code=303)
