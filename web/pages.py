"""Server-rendered pages for signed-in staff."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from router.context import Domain
from router.leads import list_leads
from web.sessions import actor_of, current_session


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    async with domain.sessionmaker() as session, session.begin():
        leads = await list_leads(session, domain, signed_in.viewer, actor=actor_of(request, signed_in))
    return Template("leads.html", context={"viewer": signed_in.viewer, "leads": leads})
