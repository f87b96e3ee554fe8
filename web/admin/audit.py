"""`/admin/audit`: the audit log filtered, one patient's access report, CSV, and the integrity check."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

from router.core.domain import Domain
from router.core.models import Location, Practice, StaffUser
from router.practices.location_admin import zone_words
from router.privacy.access import PRACTICE_ADMIN
from router.privacy.audit_review import (
    AuditFilter,
    access_report,
    check_chain,
    export_review,
    find_leads,
    review,
)
from router.privacy.audit_words import ACTION_WORDS
from router.privacy.auth import SignedIn
from web.admin.common import page, signed_in_or_login, submitted
from web.sessions import actor_of


async def _choices(domain: Domain, signed_in: SignedIn) -> dict[str, Any]:
    viewer = signed_in.viewer
    async with domain.sessionmaker() as session:
        zone = await session.scalar(select(Practice.time_zone).where(Practice.id == viewer.practice_id))
        people = (
            await session.execute(
                select(StaffUser.id, StaffUser.display_name)
                .where(StaffUser.practice_id == viewer.practice_id)
                .order_by(StaffUser.display_name)
            )
        ).all()
        offices = (
            await session.execute(
                select(Location.id, Location.name)
                .where(Location.practice_id == viewer.practice_id)
                .order_by(Location.name)
            )
        ).all()
    if viewer.role != PRACTICE_ADMIN:
        offices = [(i, name) for i, name in offices if i in viewer.location_ids]
    return {
        "zone": ZoneInfo(zone or "UTC"),
        "zone_label": zone_words(zone or "UTC", at=domain.clock.now()),
        "people": [("", "Anyone"), *[(str(i), name) for i, name in people]],
        "offices": [("", "Every office"), *[(str(i), name) for i, name in offices]],
        "actions": [("", "Any action"), *sorted(ACTION_WORDS.items(), key=lambda item: item[1])],
    }


async def _page(
    request: Request[Any, Any, Any], domain: Domain, signed_in: SignedIn, **context: Any
) -> Template:
    query = dict(request.query_params)
    chosen = AuditFilter.from_query(query)
    lines, more = await review(domain, signed_in.viewer, chosen, actor=actor_of(request, signed_in))
    keep = "&".join(f"{k}={v}" for k, v in query.items() if k != "before" and v)
    return page(
        "admin/audit.html",
        signed_in,
        "audit",
        lines=lines,
        more=more,
        keep=keep,
        values=query,
        errors=chosen.problems,
        **(await _choices(domain, signed_in)),
        **{"check": None, "matches": None, **context},
    )


@get("/admin/audit", include_in_schema=False)
async def audit_page(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    """The newest audit records, filtered by person, lead, action, office and dates."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _page(request, domain, signed_in)


@get("/admin/audit/export.csv", include_in_schema=False)
async def audit_export(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Response[str] | Redirect:
    """The filtered records as CSV (the export is itself recorded)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    chosen = AuditFilter.from_query(dict(request.query_params))
    text = await export_review(domain, signed_in.viewer, chosen, actor=actor_of(request, signed_in))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


@get("/admin/audit/patients", include_in_schema=False)
async def audit_patient_search(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    phone: FromQuery[str] = "",
    email: FromQuery[str] = "",
) -> Template | Redirect:
    """Find a patient's leads by phone or email, to open their access report."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    matches = await find_leads(domain, signed_in.viewer, phone=phone, email=email)
    return await _page(request, domain, signed_in, matches=matches, searched=phone or email)


@get("/admin/audit/leads/{lead_id:uuid}", include_in_schema=False)
async def audit_access_report(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Who viewed or changed this patient's lead, and when (the HIPAA access report)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    lines = await access_report(domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in))
    choices = await _choices(domain, signed_in)
    return page(
        "admin/access_report.html", signed_in, "audit", lines=lines, lead_id=lead_id, zone=choices["zone"]
    )


@post("/admin/audit/verify", include_in_schema=False)
async def audit_verify(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Run the audit log's integrity check now and show what it found."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    await submitted(request)
    check = await check_chain(domain, signed_in.viewer, actor=actor_of(request, signed_in))
    return await _page(request, domain, signed_in, check=check)
