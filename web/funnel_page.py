"""The managers' funnel: stage-to-stage conversion with filters, the leads at each stage, and the
reconciliation checks with a way to resolve each finding."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import ActionRefused, InvalidFields
from router.funnel.facts import FunnelFilter
from router.funnel.findings import Resolution, resolve_finding, run_checks
from router.funnel.stages import LEAD_STAGES, STAGE_WORDS
from router.funnel.view import (
    funnel_page,
    linkable_appointments,
    open_findings,
    practice_row,
    stage_lead_lines,
)
from router.practices.location_admin import zone_words
from router.privacy.auth import SignedIn
from web.forms import Form
from web.sessions import actor_of, current_session

DEFAULT_DAYS = 90
"""Three months of inquiries: long enough for most leads to reach a visit."""
LONGEST_DAYS = 731


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _cut(params: dict[str, str], time_zone: str, today: date) -> tuple[FunnelFilter, str | None]:
    """The filters from the query string; a period that cannot be used falls back, with a reason."""
    last, first, error = today, today - timedelta(days=DEFAULT_DAYS - 1), None
    try:
        if params.get("since") or params.get("until"):
            first = date.fromisoformat(params["since"]) if params.get("since") else first
            last = date.fromisoformat(params["until"]) if params.get("until") else last
    except ValueError:
        error = "Those dates could not be read; showing the last 90 days."
    if error is None and last < first:
        error = "The period ends before it starts; showing the last 90 days."
    if error is None and (last - first).days >= LONGEST_DAYS:
        error = "Choose at most two years; showing the last 90 days."
    if error:
        last, first = today, today - timedelta(days=DEFAULT_DAYS - 1)
    return FunnelFilter(
        first_day=first,
        last_day=last,
        time_zone=time_zone,
        location_id=_uuid(params.get("location")),
        provider_id=_uuid(params.get("provider")),
        treatment=params.get("treatment") or None,
        channel=params.get("channel") or None,
    ), error


def query_of(cut: FunnelFilter, **extra: str) -> str:
    """The filters as a query string, for drill-down links that keep them."""
    values = {
        "since": cut.first_day.isoformat(),
        "until": cut.last_day.isoformat(),
        "location": str(cut.location_id or ""),
        "provider": str(cut.provider_id or ""),
        "treatment": cut.treatment or "",
        "channel": cut.channel or "",
        **extra,
    }
    return urlencode({k: v for k, v in values.items() if v})


async def _signed_cut(
    request: Request[Any, Any, Any], domain: Domain
) -> tuple[SignedIn, FunnelFilter, str | None]:
    signed_in = await current_session(request, domain)
    if signed_in is None:
        raise _ToLogin
    async with domain.sessionmaker() as session:
        practice = await practice_row(session, signed_in.viewer)
    today = domain.clock.now().astimezone(ZoneInfo(practice.time_zone)).date()
    cut, error = _cut(dict(request.query_params), practice.time_zone, today)
    return signed_in, cut, error


class _ToLogin(Exception):
    """No session: the handler answers with the sign-in page."""


def _context(signed_in: SignedIn, now: datetime, **values: Any) -> dict[str, Any]:
    zone = values.get("zone")
    label = zone_words(zone.key, at=now) if zone else ""
    return {
        "viewer": signed_in.viewer,
        "stage_words": STAGE_WORDS,
        "query_of": query_of,
        "zone_label": label,
        **values,
    }


@get("/funnel", include_in_schema=False)
async def funnel_view(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Stage counts and conversion under the filters, ad totals, provider acceptance (no names)."""
    try:
        signed_in, cut, error = await _signed_cut(request, domain)
    except _ToLogin:
        return Redirect("/login")
    page = await funnel_page(domain, signed_in.viewer, cut)
    zone = ZoneInfo(page.time_zone)
    return Template(
        "funnel.html",
        context=_context(signed_in, domain.clock.now(), page=page, period_error=error, zone=zone),
    )


@get("/funnel/leads", include_in_schema=False)
async def funnel_leads(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """The leads that reached one stage under the same filters (names are audited reads)."""
    try:
        signed_in, cut, error = await _signed_cut(request, domain)
    except _ToLogin:
        return Redirect("/login")
    stage = request.query_params.get("stage", "")
    if stage not in LEAD_STAGES:
        raise InvalidFields({"stage": "Choose one of the funnel's stages."})
    lines, total = await stage_lead_lines(
        domain, signed_in.viewer, cut, stage, actor=actor_of(request, signed_in)
    )
    async with domain.sessionmaker() as session:
        zone = ZoneInfo((await practice_row(session, signed_in.viewer)).time_zone)
    context = _context(
        signed_in,
        domain.clock.now(),
        stage=stage,
        lines=lines,
        total=total,
        cut=cut,
        zone=zone,
        period_error=error,
    )
    return Template("funnel_leads.html", context=context)


async def _checks(
    request: Request[Any, Any, Any],
    domain: Domain,
    signed_in: SignedIn,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    findings = await open_findings(domain, signed_in.viewer, actor=actor_of(request, signed_in))
    async with domain.sessionmaker() as session:
        zone = ZoneInfo((await practice_row(session, signed_in.viewer)).time_zone)
    shown = {"notice": request.query_params.get("done"), "errors": {}, "failed": None, "values": {}} | extra
    context = _context(
        signed_in,
        domain.clock.now(),
        findings=findings,
        appointments=await linkable_appointments(domain, signed_in.viewer),
        zone=zone,
        **shown,
    )
    return Template("funnel_checks.html", context=context, status_code=status_code)


@get("/funnel/checks", include_in_schema=False)
async def funnel_checks(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Open findings of the checks, each with its leads and the ways to resolve it."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    return await _checks(request, domain, signed_in)


@post("/funnel/checks/run", include_in_schema=False)
async def funnel_checks_run(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Redirect:
    """Run every check now (the same as the nightly run) and show the result."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    async with domain.sessionmaker() as session, session.begin():
        practice = await practice_row(session, signed_in.viewer)
        run = await run_checks(session, practice.id, now=domain.clock.now(), patients=domain.patients)
    done = f"Checked: {run.found} open finding(s), {run.new} new, {run.cleared} no longer found."
    return Redirect(f"/funnel/checks?{urlencode({'done': done})}", status_code=303)


@post("/funnel/checks/{finding_id:uuid}/resolve", include_in_schema=False, status_code=200)
async def funnel_checks_resolve(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    finding_id: FromPath[uuid.UUID],
    data: Form,
) -> Template | Redirect:
    """Link, merge or dismiss; a refused answer re-shows the page with the reason beside the field."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    answer = Resolution(
        action=data.get("action", ""),
        reason=data.get("reason", ""),
        appointment_id=_uuid(data.get("appointment")),
        keep_lead_id=_uuid(data.get("keep")),
    )
    try:
        await resolve_finding(
            domain, signed_in.viewer, finding_id, answer, actor=actor_of(request, signed_in)
        )
    except InvalidFields as exc:
        return await _checks(
            request, domain, signed_in, status_code=422, errors=exc.errors, failed=finding_id, values=data
        )
    except ActionRefused as exc:
        if exc.status_code == 403:
            raise
        return await _checks(
            request,
            domain,
            signed_in,
            status_code=exc.status_code,
            errors={"action": str(exc)},
            failed=finding_id,
        )
    words = {"dismiss": "Dismissed", "link": "Linked", "merge": "Merged"}[answer.action]
    return Redirect(
        f"/funnel/checks?{urlencode({'done': words + '; the audit log has it.'})}", status_code=303
    )
