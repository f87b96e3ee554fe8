"""Server-rendered pages for signed-in staff: the live board (its snapshot, then the websocket)."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from realtime.constants import CLIENT_SILENCE_SECONDS
from router.board.desk import load_desk
from router.board.search import parse_search, search_leads
from router.board.snapshot import ORDER_RULE, load_board
from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.core.events import latest_event_id
from router.intake.normalize import TREATMENT_INTERESTS
from router.privacy.access import OVERFLOW_AGENT, PHYSICIAN, PHYSICIAN_OFFICE, PLATFORM_OPERATOR
from web.sessions import actor_of, current_session

LANDING_PAGES = {
    OVERFLOW_AGENT: "/overflow",
    PHYSICIAN: "/referrals",
    PHYSICIAN_OFFICE: "/referrals",
    PLATFORM_OPERATOR: "/admin",
}
"""Where a role starts (signing in lands on `/`): agents work the queue, referrers follow their
referrals, the operator administers; front desk and managers start on the board."""

SEARCH_FIELDS = ("name", "phone", "email", "since", "until", "status")


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    """The board (or the role's own start page); the stream position is read before the snapshot,
    so the replay covers any gap."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    landing = LANDING_PAGES.get(signed_in.viewer.role)
    if landing is not None and not signed_in.viewer.break_glass:
        return Redirect(landing)
    async with domain.transaction() as session:
        position = await latest_event_id(session)
        leads = await load_board(session, domain, signed_in.viewer, actor=actor_of(request, signed_in))
        desk = await load_desk(session, signed_in.viewer)
    context = {
        "viewer": signed_in.viewer,
        "leads": leads,
        "position": position,
        "desk": desk,
        "order_rule": ORDER_RULE,
        "nonce": secrets.token_urlsafe(16),
        "interests": TREATMENT_INTERESTS,
        "silence_seconds": int(CLIENT_SILENCE_SECONDS),
    }
    return Template("board.html", context=context)


@get("/board/snapshot", include_in_schema=False)
async def board_leads(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """The lead list alone, for a board told to re-render (position first, as on the full page)."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    async with domain.transaction() as session:
        position = await latest_event_id(session)
        leads = await load_board(session, domain, signed_in.viewer, actor=actor_of(request, signed_in))
    return Template("board_leads.html", context={"leads": leads, "position": position})


@get("/board/search", include_in_schema=False)
async def board_search(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Find a lead, open or closed, by name, phone or email (exact), dates and status."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    values = {key: request.query_params.get(key, "") for key in SEARCH_FIELDS}
    errors: dict[str, str] = {}
    search = results = None
    try:
        search = parse_search(values)
    except InvalidFields as refused:
        errors = refused.errors
    if search is not None:
        results = await search_leads(domain, signed_in.viewer, search, actor=actor_of(request, signed_in))
    context = {
        "viewer": signed_in.viewer,
        "values": values,
        "errors": errors,
        "search": search,
        "results": results,
    }
    return Template("board_search.html", context=context, status_code=422 if errors else 200)
