"""Sign-in and sign-out pages."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.privacy.auth import AuthError, authenticate, close_session, open_session
from web.forms import Form
from web.sessions import SESSION_COOKIE, current_session


@get("/login", include_in_schema=False)
async def login_page(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    if await current_session(request, domain):
        return Redirect("/")
    return Template("login.html", context={"error": None})


@post("/login", include_in_schema=False)
async def login(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    data: Form,
) -> Response[Any]:
    security = domain.settings.security
    async with domain.sessionmaker() as session, session.begin():
        try:
            user = await authenticate(session, email=data.get("email", ""), password=data.get("password", ""))
        except AuthError:
            return Template("login.html", context={"error": "Wrong email or password."}, status_code=401)
        token = await open_session(
            session,
            user,
            settings=security,
            now=domain.clock.now(),
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
    response = Redirect("/")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=security.secure_cookies,
        samesite="lax",
        max_age=security.session_absolute_hours * 3600,
    )
    return response


@post("/logout", include_in_schema=False)
async def logout(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Redirect:
    async with domain.sessionmaker() as session, session.begin():
        await close_session(session, request.cookies.get(SESSION_COOKIE), now=domain.clock.now())
    response = Redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response
