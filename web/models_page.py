"""The managers' page about lead-score models: versions, the active one's card, and score drift."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import NotPermitted
from router.privacy.access import may_do
from router.scores.registry import models_overview
from web.sessions import current_session


@get("/models", include_in_schema=False)
async def models_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """List versions with their holdout metrics, the active one's card and its drift verdict."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    viewer = signed_in.viewer
    # Model quality and drift are a management decision; the front desk sees reasons on each lead.
    if not may_do(viewer, "models.view") or viewer.practice_id is None:
        raise NotPermitted("only managers and practice admins see the model page")
    async with domain.sessionmaker() as session:
        overview = await models_overview(session, practice_id=viewer.practice_id)
    return Template("models.html", context={"viewer": viewer, "overview": overview})
