"""`/admin/locations`: offices, their address, time zone, weekly hours and closures calendar."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import EditConflict, InvalidFields
from router.practices.closures import calendar_months, change_closure, closures_of, local_today
from router.practices.hours_form import describe_hours
from router.practices.location_admin import (
    TIME_ZONES,
    Office,
    add_office,
    list_offices,
    load_office,
    may_add_offices,
    save_office,
    set_office_open,
    zone_words,
)
from router.privacy.auth import SignedIn
from web.admin.common import page, refused, signed_in_or_login, submitted
from web.sessions import actor_of

NOTICES = {
    "added": "Office added. Set its opening hours below; until then it counts as open around the clock.",
    "saved": "Saved.",
    "closed": "Office deactivated: it takes no new leads. Leads already waiting there stay on the boards.",
    "reopened": "Office open again: it takes new leads.",
}


def _zones(current: str) -> list[tuple[str, str]]:
    zones = list(TIME_ZONES.items())
    return zones if not current or current in TIME_ZONES else [(current, current), *zones]


async def _list_page(domain: Domain, signed_in: SignedIn, **context: Any) -> Template:
    offices = await list_offices(domain, signed_in.viewer)
    return page(
        "admin/locations.html",
        signed_in,
        "locations",
        offices=offices,
        may_add=may_add_offices(signed_in.viewer),
        zones=_zones(""),
        describe_hours=describe_hours,
        zone_words=functools.partial(zone_words, at=domain.clock.now()),
        **context,
    )


def _office_page(domain: Domain, signed_in: SignedIn, office: Office, **context: Any) -> Template:
    location = office.location
    today = local_today(location, domain.clock.now())
    return page(
        "admin/location.html",
        signed_in,
        "locations",
        office=office,
        zones=_zones(location.time_zone),
        closures=closures_of(location, since=today),
        months=calendar_months(location, today),
        may_close=may_add_offices(signed_in.viewer),
        **{"values": office.values(), "notice": None, "pending": None, **context},
    )


@get("/admin/locations", include_in_schema=False)
async def locations_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """The offices this person may edit, with their hours at a glance."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _list_page(domain, signed_in)


@post("/admin/locations", include_in_schema=False)
async def location_add(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        location_id = await add_office(domain, signed_in.viewer, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        return await _list_page(domain, signed_in, values=form, **refused(exc))
    return Redirect(f"/admin/locations/{location_id}?done=added", status_code=303)


@get("/admin/locations/{location_id:uuid}", include_in_schema=False)
async def location_page(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    location_id: FromPath[uuid.UUID],
    done: FromQuery[str | None] = None,
) -> Template | Redirect:
    """One office: its details and weekly hours as a form, its closures calendar, deactivation."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    office = await load_office(domain, signed_in.viewer, location_id)
    notice = NOTICES.get(done or "")
    if done and done.startswith("moved:"):
        moved = done.removeprefix("moved:")
        notice = (
            "Saved." if moved in ("", "0") else f"Saved. {moved} waiting lead(s) now have a new deadline."
        )
    return _office_page(domain, signed_in, office, notice=notice)


@post("/admin/locations/{location_id:uuid}", include_in_schema=False)
async def location_save(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], location_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Save the office; when waiting leads' deadlines would move, first say how many and ask."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        outcome = await save_office(
            domain, signed_in.viewer, location_id, form, actor=actor_of(request, signed_in)
        )
    except (InvalidFields, EditConflict) as exc:
        office = await load_office(domain, signed_in.viewer, location_id)
        return _office_page(domain, signed_in, office, values=form, **refused(exc))
    if outcome.pending:
        office = await load_office(domain, signed_in.viewer, location_id)
        return _office_page(domain, signed_in, office, values=form, pending=outcome)
    done = f"moved:{outcome.moved}" if outcome.moved else "saved"
    return Redirect(f"/admin/locations/{location_id}?done={done}", status_code=303)


@post("/admin/locations/{location_id:uuid}/closures", include_in_schema=False)
async def location_closure(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], location_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Add a closed day (or remove one, with `remove`)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        moved = await change_closure(
            domain,
            signed_in.viewer,
            location_id,
            day_text=str(form.get("closure_day", "")),
            name=str(form.get("closure_name", "")),
            add=not form.get("remove"),
            actor=actor_of(request, signed_in),
        )
    except InvalidFields as exc:
        office = await load_office(domain, signed_in.viewer, location_id)
        return _office_page(
            domain, signed_in, office, closure_values=form, closure_errors=exc.errors, status_code=422
        )
    return Redirect(f"/admin/locations/{location_id}?done=moved:{moved}#closures", status_code=303)


@post("/admin/locations/{location_id:uuid}/active", include_in_schema=False)
async def location_active(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], location_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Deactivate the office, or open it again."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    active = form.get("active") == "1"
    try:
        await set_office_open(
            domain, signed_in.viewer, location_id, active=active, actor=actor_of(request, signed_in)
        )
    except InvalidFields as exc:
        office = await load_office(domain, signed_in.viewer, location_id)
        return _office_page(domain, signed_in, office, active_error=exc.errors["active"], status_code=422)
    return Redirect(
        f"/admin/locations/{location_id}?done={'reopened' if active else 'closed'}", status_code=303
    )
