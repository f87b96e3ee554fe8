"""`/admin/staff`: invite people, set role and offices, deactivate, reset a password; last sign-in."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from router.core.domain import Domain
from router.core.errors import EditConflict, InvalidFields
from router.core.models import Practice
from router.privacy.access import ROLE_NAMES
from router.privacy.auth import SignedIn
from router.privacy.invitations import invite, send_new_link
from router.privacy.staff_admin import (
    ROLE_HINTS,
    StaffRow,
    list_staff,
    load_member,
    offices_for,
    roles_granted_by,
    save_member,
    set_active,
)
from web.admin.common import page, refused, signed_in_or_login, submitted
from web.sessions import actor_of


async def _zone(domain: Domain, signed_in: SignedIn) -> ZoneInfo:
    async with domain.sessionmaker() as session:
        zone = await session.scalar(
            select(Practice.time_zone).where(Practice.id == signed_in.viewer.practice_id)
        )
    return ZoneInfo(zone or "UTC")


async def _common(domain: Domain, signed_in: SignedIn) -> dict[str, Any]:
    offices = await offices_for(domain, signed_in.viewer)
    roles = roles_granted_by(signed_in.viewer)
    return {
        "offices": offices,
        "office_names": dict(offices),
        "roles": [(r, f"{ROLE_NAMES[r]}: {ROLE_HINTS[r]}") for r in roles],
        "zone": await _zone(domain, signed_in),
    }


async def _list(domain: Domain, signed_in: SignedIn, **context: Any) -> Template:
    staff = await list_staff(domain, signed_in.viewer)
    return page(
        "admin/staff.html", signed_in, "staff", staff=staff, **(await _common(domain, signed_in)), **context
    )


async def _member(domain: Domain, signed_in: SignedIn, member: StaffRow, **context: Any) -> Template:
    return page(
        "admin/staff_member.html",
        signed_in,
        "staff",
        member=member,
        **(await _common(domain, signed_in)),
        **{"values": member.values(), "notice": None, **context},
    )


@get("/admin/staff", include_in_schema=False)
async def staff_page(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    """The people this person manages, with role, offices and last sign-in; the invitation form."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _list(domain, signed_in, values={"role": "front_desk"})


@post("/admin/staff", include_in_schema=False)
async def staff_invite(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Invite someone by email: their account, then a one-time set-password link (48 hours)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        sent = await invite(domain, signed_in.viewer, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        return await _list(domain, signed_in, values=form, **refused(exc))
    member = await load_member(domain, signed_in.viewer, sent.user_id)
    notice = f"{sent.name} is invited. Invitation {sent.email_outcome}."
    return await _member(domain, signed_in, member, notice=notice, status_code=201)


@get("/admin/staff/{user_id:uuid}", include_in_schema=False)
async def staff_member_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], user_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _member(domain, signed_in, await load_member(domain, signed_in.viewer, user_id))


@post("/admin/staff/{user_id:uuid}", include_in_schema=False)
async def staff_member_save(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], user_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Save role, offices, name, phone; a new role or offices signs the person out everywhere."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        changed = await save_member(
            domain, signed_in.viewer, user_id, form, actor=actor_of(request, signed_in)
        )
    except (InvalidFields, EditConflict) as exc:
        member = await load_member(domain, signed_in.viewer, user_id)
        return await _member(domain, signed_in, member, values=form, **refused(exc))
    member = await load_member(domain, signed_in.viewer, user_id)
    notice = "Nothing changed." if not changed else "Saved."
    if "role" in changed or "locations" in changed:
        notice += f" {member.user.display_name} was signed out everywhere so the change applies at once."
    return await _member(domain, signed_in, member, notice=notice)


@post("/admin/staff/{user_id:uuid}/active", include_in_schema=False)
async def staff_member_active(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], user_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Deactivate (signed out everywhere, boards closed at once) or reactivate."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    active = (await submitted(request)).get("active") == "1"
    try:
        user = await set_active(
            domain, signed_in.viewer, user_id, active=active, actor=actor_of(request, signed_in)
        )
    except InvalidFields as exc:
        member = await load_member(domain, signed_in.viewer, user_id)
        return await _member(domain, signed_in, member, active_error=exc.errors["active"], status_code=422)
    member = await load_member(domain, signed_in.viewer, user_id)
    notice = (
        f"{user.display_name} can sign in again."
        if active
        else f"{user.display_name} is deactivated: signed out everywhere, their open boards closed."
    )
    return await _member(domain, signed_in, member, notice=notice)


@post("/admin/staff/{user_id:uuid}/link", include_in_schema=False)
async def staff_member_link(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], user_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Send the invitation again, or reset the password (old password stops working at once)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    purpose = str((await submitted(request)).get("purpose", ""))
    sent = await send_new_link(
        domain, signed_in.viewer, user_id, purpose=purpose, actor=actor_of(request, signed_in)
    )
    member = await load_member(domain, signed_in.viewer, user_id)
    what = (
        "Password reset: their old password no longer works and they were signed out. Link"
        if purpose == "reset"
        else "Invitation"
    )
    return await _member(domain, signed_in, member, notice=f"{what} {sent.email_outcome}.")
