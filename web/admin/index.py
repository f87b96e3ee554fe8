"""`/admin`: the administration screens this person may open, each with what it is for."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import NotPermitted
from web.admin.common import page, sections_for, signed_in_or_login

PURPOSES = {
    "settings": "Response time, what happens after hours, who gets a new lead, alerts to managers.",
    "locations": "Addresses, time zones, opening hours with lunch breaks, holidays and closures.",
    "staff": "Invite people, set their role and offices, reset a password, deactivate an account.",
    "forms": "Your website's forms: their signing secrets, what they sent lately, a test inquiry.",
    "phones": "Tracking numbers, how calls ring, and the call center that takes overflow.",
    "spend": "Upload an ad platform's spend export for cost per booking.",
    "audit": "Who looked at or changed what, a patient's access report, and the log's integrity check.",
    "practices": "The practices on the platform and their practice admins.",
    "call-centers": "Overflow call centers: their agents and the practices each one serves.",
}


@get("/admin", include_in_schema=False)
async def admin_index(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """The administration menu with a line about each screen."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    if not sections_for(signed_in.viewer):
        raise NotPermitted("Administration is for managers, practice admins and platform operators.")
    return page("admin/index.html", signed_in, "", purposes=PURPOSES)
