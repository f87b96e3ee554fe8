"""`/referrers`: managers' referrer scorecards (per physician and per office, a chart) and invitations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import InvalidFields, NotPermitted
from router.core.models import Practice
from router.privacy.access import may_do
from router.privacy.auth import SignedIn
from router.referrals.partners import NEW_OFFICE, REFERRER_CHOICES, invite_referrer, partner_offices
from router.referrals.scorecards import scorecards
from web.admin.common import signed_in_or_login, submitted
from web.sessions import actor_of

DEFAULT_PERIOD_DAYS = 90
"""The scorecards' default period: a quarter holds enough referrals per physician to compare."""


def _day(raw: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else fallback
    except ValueError:
        return fallback


async def _page(
    request: Request[Any, Any, Any], domain: Domain, signed_in: SignedIn, **context: Any
) -> Template:
    viewer = signed_in.viewer
    if not may_do(viewer, "referrers.manage"):
        raise NotPermitted("Referrer scorecards are for managers and practice admins.")
    assert viewer.practice_id is not None
    async with domain.sessionmaker() as session:
        practice = await session.get(Practice, viewer.practice_id)
        zone = ZoneInfo(practice.time_zone if practice else "UTC")
        today = domain.clock.now().astimezone(zone).date()
        last = _day(request.query_params.get("to"), today)
        first = _day(request.query_params.get("from"), last - timedelta(days=DEFAULT_PERIOD_DAYS - 1))
        first, last = min(first, last), max(first, last)
        start = datetime.combine(first, time(), zone)
        end = datetime.combine(last + timedelta(days=1), time(), zone)
        physicians = await scorecards(session, viewer.practice_id, start=start, end=end, by="physician")
        offices = await scorecards(session, viewer.practice_id, start=start, end=end, by="office")
        partners = await partner_offices(session, viewer.practice_id)
    widest = max([c.referrals for c in physicians] + [1])
    return Template(
        "referrers.html",
        context={
            "viewer": viewer,
            "current_page": "referrers",
            "physicians": physicians,
            "offices": offices,
            "widest": widest,
            "first": first.isoformat(),
            "last": last.isoformat(),
            "partners": partners,
            "office_choices": [(NEW_OFFICE, "A new office")] + [(str(o.id), o.name) for o in partners],
            "role_choices": list(REFERRER_CHOICES.items()),
            "values": {"role": "physician", "office_id": NEW_OFFICE, **context.pop("values", {})},
            "errors": context.pop("errors", {}),
            "invited": context.pop("invited", None),
        },
        status_code=context.pop("status_code", 200),
    )


@get("/referrers", include_in_schema=False)
async def referrers_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Scorecards over a chosen period, the offices referring to the practice, the invitation form."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _page(request, domain, signed_in)


@post("/referrers/invite", include_in_schema=False)
async def referrer_invite(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Invite a referring physician or their office staff by email (errors beside the fields)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        invited = await invite_referrer(domain, signed_in.viewer, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        return await _page(request, domain, signed_in, values=form, errors=exc.errors, status_code=422)
    return await _page(request, domain, signed_in, invited=invited)


REFERRERS_HANDLERS = [referrers_page, referrer_invite]
