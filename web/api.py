"""The JSON API: leads within the caller's scope (every read audited)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.params import FromPath, Parameter

from router.core.domain import Domain
from router.leads.views import MAX_PAGE, get_lead, list_leads
from router.privacy.auth import SignedIn
from web.sessions import actor_of, provide_signed_in


class LeadsController(Controller):
    """Leads the signed-in user may see."""

    path = "/api/leads"
    tags = ["leads"]
    dependencies = {"signed_in": Provide(provide_signed_in)}

    @get(
        "/",
        summary="List leads in your scope, newest first",
        raises=[NotAuthorizedException],
    )
    async def list(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        status: Literal["open", "closed", ""] = Parameter(
            default="open", description="open, closed, or empty for all"
        ),
        limit: int = Parameter(default=50, ge=1, le=MAX_PAGE),
    ) -> dict[str, Any]:
        async with domain.transaction() as session:
            leads = await list_leads(
                session,
                domain,
                signed_in.viewer,
                actor=actor_of(request, signed_in),
                status=status or None,
                limit=limit,
            )
        return {"leads": [lead.as_json() for lead in leads]}

    @get(
        "/{lead_id:uuid}",
        summary="One lead in your scope",
        raises=[NotAuthorizedException, NotFoundException],
    )
    async def detail(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
    ) -> dict[str, Any]:
        async with domain.transaction() as session:
            lead = await get_lead(
                session, domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in)
            )
        if lead is None:
            raise NotFoundException(detail=f"no lead {lead_id} in your scope")
        return lead.as_json()
