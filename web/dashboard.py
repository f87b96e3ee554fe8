"""The manager dashboard: response-time figures of the manager's locations, refreshed by htmx polling."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import Parameter
from litestar.response import Redirect, Template

from router.board.dashboard import PERIODS_DAYS, load_dashboard, scope_for
from router.core.domain import Domain
from router.core.errors import NotPermitted
from web.sessions import current_session

REFRESH_SECONDS = 15
"""The live part (waiting, breaches, alerts) refreshes this often: a breach shows within a quarter minute."""


async def _render(
    request: Request[Any, Any, Any], domain: Domain, template: str, days: int
) -> Template | Redirect:
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    async with domain.sessionmaker() as session:
        scope = await scope_for(session, signed_in.viewer)
        if scope is None:
            raise NotPermitted("the dashboard is for managers and practice admins")
        dashboard = await load_dashboard(session, scope, domain.clock.now(), days=days)
    context = {
        "viewer": signed_in.viewer,
        "dashboard": dashboard,
        "periods": PERIODS_DAYS,
        "refresh_seconds": REFRESH_SECONDS,
    }
    return Template(template, context=context)


@get("/dashboard", include_in_schema=False)
async def dashboard_page(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    days: int = Parameter(default=30, ge=1, le=365),
) -> Template | Redirect:
    """Live waits and breaches, SLA rates, time to contact by location/staff/source/hour, speed vs booking."""
    return await _render(request, domain, "dashboard.html", days)


@get("/dashboard/panel", include_in_schema=False)
async def dashboard_panel(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    days: int = Parameter(default=30, ge=1, le=365),
) -> Template | Redirect:
    """The same figures as a fragment, for the page's htmx polling."""
    return await _render(request, domain, "dashboard_panel.html", days)
