"""The managers' review queue of lead-patient matches: side by side, accept or reject."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import ActionRefused
from router.matching.queue import decide_review
from router.matching.review_view import review_queue
from router.privacy.auth import SignedIn
from web.sessions import actor_of, current_session


async def _page(
    request: Request[Any, Any, Any],
    domain: Domain,
    signed_in: SignedIn,
    *,
    error: str | None = None,
    status: int = 200,
) -> Template:
    items = await review_queue(domain, signed_in.viewer, actor=actor_of(request, signed_in))
    context = {
        "viewer": signed_in.viewer,
        "items": items,
        "notice": request.query_params.get("done"),
        "error": error,
    }
    return Template("matching_review.html", context=context, status_code=status)


@get("/matching/review", include_in_schema=False)
async def matching_review(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Pairs the matcher was unsure of, most likely first, each field side by side."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    return await _page(request, domain, signed_in)


async def _decide(
    request: Request[Any, Any, Any], domain: Domain, review_id: uuid.UUID, *, accept: bool
) -> Template | Redirect:
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    try:
        await decide_review(
            domain, signed_in.viewer, review_id, accept=accept, actor=actor_of(request, signed_in)
        )
    except ActionRefused as exc:
        if exc.status_code == 403:
            raise
        return await _page(request, domain, signed_in, error=str(exc), status=exc.status_code)
    done = (
        "Linked: the lead is this patient."
        if accept
        else "Rejected: they stay apart and will not be asked again."
    )
    return Redirect(f"/matching/review?{urlencode({'done': done})}", status_code=303)


@post("/matching/review/{review_id:uuid}/accept", include_in_schema=False)
async def matching_accept(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], review_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    return await _decide(request, domain, review_id, accept=True)


@post("/matching/review/{review_id:uuid}/reject", include_in_schema=False)
async def matching_reject(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], review_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    return await _decide(request, domain, review_id, accept=False)
