"""Reading the signed-in user from the session cookie (server-side sessions in PostgreSQL)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect

from router.core.domain import Domain
from router.privacy.audit import Actor
from router.privacy.auth import SignedIn, resume_session

SESSION_COOKIE = "lr_session"
BREAK_GLASS_PAGE = "/break-glass"
NOT_REDIRECTED = (BREAK_GLASS_PAGE, "/logout", "/api/", "/static/", "/account/")
"""Paths that answer even when the person's emergency access just ran out (the API stays scoped)."""


class BreakGlassEnded(Exception):
    """The person's emergency access ran out since their last page: the next one says so."""


async def current_session(request: Request[Any, Any, Any], domain: Domain) -> SignedIn | None:
    """The session of this request (loaded once per request), or None."""
    if "signed_in" in request.state:
        return request.state.signed_in  # type: ignore[no-any-return]
    async with domain.transaction() as session:
        signed_in = await resume_session(
            session,
            request.cookies.get(SESSION_COOKIE),
            settings=domain.settings.security,
            now=domain.clock.now(),
        )
    request.state.signed_in = signed_in
    if (
        signed_in is not None
        and signed_in.viewer.break_glass_lapsed
        and not request.url.path.startswith(NOT_REDIRECTED)
    ):
        raise BreakGlassEnded()
    return signed_in


def break_glass_ended(request: Request[Any, Any, Any], exc: BreakGlassEnded) -> Response[Any]:
    """A page or htmx request after emergency access ran out goes to the page that says so."""
    if request.headers.get("hx-request"):
        return Response(content="", status_code=200, headers={"HX-Redirect": BREAK_GLASS_PAGE})
    return Redirect(BREAK_GLASS_PAGE, status_code=303)


async def provide_signed_in(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> SignedIn:
    """Dependency for JSON endpoints: the session, or 401."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        raise NotAuthorizedException(detail="sign in first (session missing or expired)")
    return signed_in


def actor_of(request: Request[Any, Any, Any], signed_in: SignedIn) -> Actor:
    """The audit actor for a signed-in request."""
    return Actor(
        type="user",
        id=str(signed_in.viewer.user_id),
        ip=request.client.host if request.client else None,
        session_id=signed_in.session_key,
        break_glass=str(signed_in.viewer.break_glass.grant_id) if signed_in.viewer.break_glass else None,
    )
