"""What every administration screen shares: the signed-in check, the submitted form, the page frame."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.response import Redirect, Template
from sqlalchemy import select

from router.core.domain import Domain
from router.core.errors import EditConflict, InvalidFields
from router.core.models import Location, Practice
from router.privacy.access import Viewer, may_do
from router.privacy.auth import SignedIn
from web.sessions import current_session

SECTIONS = (
    ("settings", "/admin/settings", "Practice settings", "practice.configure"),
    ("locations", "/admin/locations", "Offices and hours", "practice.configure"),
    ("staff", "/admin/staff", "Staff", "staff.manage"),
    ("forms", "/admin/forms", "Web forms", "practice.administer"),
    ("chat", "/admin/chat", "Chat", "practice.administer"),
    ("phones", "/admin/phones", "Phones", "practice.administer"),
    ("spend", "/admin/spend", "Ad spend", "spend.import"),
    ("pms", "/admin/pms", "Practice-management system", "practice.configure"),
    ("audit", "/admin/audit", "Audit log", "audit.review"),
    ("practices", "/admin/practices", "Practices", "platform.administer"),
    ("call-centers", "/admin/call-centers", "Call centers", "platform.administer"),
)
"""(key, address, title, the action that opens it): the administration menu, in this order."""


def sections_for(viewer: Viewer) -> list[tuple[str, str, str]]:
    """The administration screens this person may open."""
    return [(key, href, title) for key, href, title, action in SECTIONS if may_do(viewer, action)]


async def signed_in_or_login(request: Request[Any, Any, Any], domain: Domain) -> SignedIn | Redirect:
    signed_in = await current_session(request, domain)
    return signed_in if signed_in is not None else Redirect("/login")


async def submitted(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The posted form: one string per field, a list for a field sent more than once (checkboxes)."""
    form = await request.form()
    values: dict[str, Any] = {}
    for key in form:
        items = form.getall(key)
        texts = [item for item in items if isinstance(item, str)]
        values[key] = texts[0] if len(texts) == 1 else texts
    return values


def page(
    template: str,
    signed_in: SignedIn,
    section: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """An administration page with its menu; `errors` and `values` default to an unfilled form."""
    return Template(
        template,
        context={
            "viewer": signed_in.viewer,
            "current_page": "admin",
            "section": section,
            "sections": sections_for(signed_in.viewer),
            "errors": {},
            "values": {},
            "conflict": None,
            **context,
        },
        status_code=status_code,
    )


def refused(exc: InvalidFields | EditConflict) -> dict[str, Any]:
    """The context of a refused save: the fields' messages (422) or who changed it meanwhile (409)."""
    if isinstance(exc, InvalidFields):
        return {"errors": exc.errors, "status_code": 422}
    return {"conflict": str(exc), "status_code": 409}


async def zone_and_offices(domain: Domain, signed_in: SignedIn) -> tuple[ZoneInfo, list[tuple[str, str]]]:
    """The practice's time zone, and its open offices as choices for "the office when none is named"."""
    async with domain.sessionmaker() as session:
        zone = await session.scalar(
            select(Practice.time_zone).where(Practice.id == signed_in.viewer.practice_id)
        )
        offices = (
            await session.execute(
                select(Location.id, Location.name).where(
                    Location.practice_id == signed_in.viewer.practice_id, Location.is_active.is_(True)
                )
            )
        ).all()
    return ZoneInfo(zone or "UTC"), [("", "None: the office nearest the patient's ZIP")] + [
        (str(i), name) for i, name in offices
    ]
