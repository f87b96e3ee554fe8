"""The managers' attribution page: the latest (or a chosen) run's credit tables, and "run now"."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from arq import ArqRedis
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import NotPermitted
from router.marketing.attribution_runs import attribution_overview, enqueue_run, request_run
from router.privacy.access import Viewer, may_do
from web.sessions import current_session


def _practice_of(viewer: Viewer) -> uuid.UUID:
    """The viewer's own practice: budget decisions are the manager's, one practice at a time."""
    if not may_do(viewer, "attribution.view") or viewer.practice_id is None:
        raise NotPermitted("the attribution page is for managers and practice admins")
    return viewer.practice_id


POLL_SECONDS = 3
"""While a run is queued or computing, the page asks every 3 s whether it is done: runs take seconds,
and a person watching waits at most this long after it finishes."""


async def _render(
    domain: Domain, viewer: Viewer, template: str, *, run: uuid.UUID | None, waiting: uuid.UUID | None = None
) -> Template:
    practice_id = _practice_of(viewer)
    async with domain.sessionmaker() as session:
        overview = await attribution_overview(session, practice_id, run_id=run, now=domain.clock.now())
    if overview is None:
        raise NotFoundException("no such run for this practice")
    finished = waiting is not None and overview.pending is None
    context = {
        "viewer": viewer,
        "overview": overview,
        "zone": ZoneInfo(overview.practice.time_zone),
        "poll_seconds": POLL_SECONDS,
        "shown_run": run,
        "finished": finished,
    }
    return Template(template, context=context)


@get("/attribution", include_in_schema=False)
async def attribution_page(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    run: uuid.UUID | None = Parameter(default=None, description="an earlier run to show"),
) -> Template | Redirect:
    """Last touch vs data-driven credit, primary/contributing, cost per booking, budget moves, runs."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    return await _render(domain, signed_in.viewer, "attribution.html", run=run)


@get("/attribution/body", include_in_schema=False)
async def attribution_body(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    run: uuid.UUID | None = Parameter(default=None, description="an earlier run to show"),
    waiting: uuid.UUID | None = Parameter(default=None, description="the run the page waits for"),
) -> Template | Redirect:
    """The page's content alone, for its htmx poll while a run is pending: once the run is done the
    poll brings its results (and stops, since the new content polls no more)."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    return await _render(domain, signed_in.viewer, "attribution_body.html", run=run, waiting=waiting)


@post("/attribution/run", include_in_schema=False)
async def attribution_run_now(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    redis: NamedDependency[ArqRedis],
) -> Redirect | Template:
    """Queue a run for the worker (or find the pending one); htmx gets the page's content back, which
    then polls until the run is done; a plain form post goes back to the page."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    practice_id = _practice_of(signed_in.viewer)
    async with domain.transaction() as session:
        queued, _ = await request_run(
            session, practice_id, requested_by=str(signed_in.viewer.user_id), now=domain.clock.now()
        )
    await enqueue_run(redis, domain.settings.redis.queue_name, queued.id)
    if request.headers.get("hx-request"):
        return await _render(domain, signed_in.viewer, "attribution_body.html", run=None)
    return Redirect("/attribution", status_code=303)
