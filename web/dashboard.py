"""The manager dashboard: response-time figures for a period and an office, refreshed by htmx polling,
and its CSV exports."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from router.board.dashboard import LONGEST_RANGE_DAYS, DashboardScope, DateRange, scope_for
from router.board.dashboard_export import breach_names, export_csv
from router.board.dashboard_view import load_dashboard, location_choices
from router.core.domain import Domain
from router.core.errors import InvalidChoice, NotPermitted
from router.practices.location_admin import zone_words
from router.privacy.auth import SignedIn
from web.sessions import actor_of, current_session

REFRESH_SECONDS = 15
"""The live part (waiting, breaches, alerts) refreshes this often: a breach shows within a quarter minute."""
EXPORT_KINDS = ("breaches", "leads")


def _period(
    domain: Domain, scope: DashboardScope, since: str | None, until: str | None
) -> tuple[DateRange, str | None]:
    """The chosen period, or the last 7 days with a reason when the choice cannot be used."""
    default = DateRange.last_days(domain.clock.now(), scope.time_zone)
    if not since and not until:
        return default, None
    try:
        first = date.fromisoformat(since) if since else default.first_day
        last = date.fromisoformat(until) if until else default.last_day
    except ValueError:
        return default, "Those dates could not be read; showing the last 7 days."
    if last < first:
        return default, "The period ends before it starts; showing the last 7 days."
    if (last - first).days >= LONGEST_RANGE_DAYS:
        return default, f"Choose at most {LONGEST_RANGE_DAYS} days; showing the last 7 days."
    return DateRange(first, last, scope.time_zone), None


async def _scope(domain: Domain, signed_in: SignedIn) -> DashboardScope:
    async with domain.sessionmaker() as session:
        scope = await scope_for(session, signed_in.viewer)
    if scope is None:
        raise NotPermitted("the dashboard is for managers and practice admins")
    return scope


def _office(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def _render(
    request: Request[Any, Any, Any],
    domain: Domain,
    template: str,
    since: str | None,
    until: str | None,
    location: str | None,
) -> Template | Redirect:
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    whole = await _scope(domain, signed_in)
    period, period_error = _period(domain, whole, since, until)
    office = _office(location)
    scope = whole.narrowed(office)
    async with domain.sessionmaker() as session:
        dashboard = await load_dashboard(session, scope, domain.clock.now(), period=period)
        offices = await location_choices(session, whole)
    names = await breach_names(
        domain, signed_in.viewer, [b.lead_id for b in dashboard.breaches], actor=actor_of(request, signed_in)
    )
    query = f"since={period.first_day}&until={period.last_day}" + (f"&location={office}" if office else "")
    today = DateRange.last_days(domain.clock.now(), whole.time_zone, 1).last_day
    where = f"&location={office}" if office else ""
    quick_ranges = [
        (label, f"/dashboard?since={today - timedelta(days=n - 1)}&until={today}{where}")
        for label, n in (("today", 1), ("last 7 days", 7), ("last 30 days", 30), ("last 90 days", 90))
    ]
    context = {
        "viewer": signed_in.viewer,
        "dashboard": dashboard,
        "names": names,
        "offices": offices,
        "office": office,
        "query": query,
        "quick_ranges": quick_ranges,
        "zone_label": zone_words(whole.time_zone, at=domain.clock.now()),
        "period_error": period_error,
        "refresh_seconds": REFRESH_SECONDS,
    }
    return Template(template, context=context)


@get("/dashboard", include_in_schema=False)
async def dashboard_page(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    since: FromQuery[str | None] = None,
    until: FromQuery[str | None] = None,
    location: FromQuery[str | None] = None,
) -> Template | Redirect:
    """Waits and breaches, SLA rates, the daily trend, time to contact by office, staff, source and hour,
    and bookings by speed of first contact."""
    return await _render(request, domain, "dashboard.html", since, until, location)


@get("/dashboard/panel", include_in_schema=False)
async def dashboard_panel(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    since: FromQuery[str | None] = None,
    until: FromQuery[str | None] = None,
    location: FromQuery[str | None] = None,
) -> Template | Redirect:
    """The same figures as a fragment, for the page's htmx polling."""
    return await _render(request, domain, "dashboard_panel.html", since, until, location)


@get("/dashboard/export.csv", include_in_schema=False)
async def dashboard_export(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    kind: FromQuery[str] = "leads",
    since: FromQuery[str | None] = None,
    until: FromQuery[str | None] = None,
    location: FromQuery[str | None] = None,
) -> Response[str] | Redirect:
    """The breach list or every lead's figures of the period as CSV (names included; every one audited)."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    if kind not in EXPORT_KINDS:
        raise InvalidChoice("Export the breaches or the leads.")
    whole = await _scope(domain, signed_in)
    period, _ = _period(domain, whole, since, until)
    text, _ = await export_csv(
        domain,
        signed_in.viewer,
        whole.narrowed(_office(location)),
        period,
        kind=kind,
        actor=actor_of(request, signed_in),
    )
    name = f"{kind}-{period.first_day}-to-{period.last_day}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
