"""Reading the signed-in user from the session cookie (server-side sessions in PostgreSQL)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException

from router.core.domain import Domain
from router.privacy.audit import Actor
from router.privacy.auth import SignedIn, resume_session

SESSION_COOKIE = "lr_session"


async def current_session(request: Request[Any, Any, Any], domain: Domain) -> SignedIn | None:
    """The session of this request (loaded once per request), or None."""
    if "signed_in" in request.state:
        return request.state.signed_in  # type: ignore[no-any-return]
    async with domain.sessionmaker() as session, session.begin():
        signed_in = await resume_session(
            session,
            request.cookies.get(SESSION_COOKIE),
            settings=domain.settings.security,
            now=domain.clock.now(),
        )
    request.state.signed_in = signed_in
    return signed_in


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
