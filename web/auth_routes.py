"""Sign-in (password, then the second factor or its first set-up), sign-out."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from redis.asyncio import Redis

from router.core.domain import Domain
from router.privacy.auth import close_session
from router.privacy.mfa import provisioning_uri
from router.privacy.sign_in import Refused, SecondFactorNeeded, SessionOpened, SignIn
from web.forms import Form
from web.qr import qr_svg
from web.sessions import SESSION_COOKIE, current_session

PENDING_COOKIE = "lr_pending"


def _ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def signed_in_response(domain: Domain, opened: SessionOpened, response: Response[Any]) -> Response[Any]:
    """Set the session cookie: a browser-session cookie unless the person asked to be remembered."""
    security = domain.settings.security
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        httponly=True,
        secure=security.secure_cookies,
        samesite="lax",
        max_age=security.session_absolute_hours * 3600 if opened.remember else None,
    )
    response.delete_cookie(PENDING_COOKIE, path="/login")
    return response


@get("/login", include_in_schema=False)
async def login_page(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    if await current_session(request, domain):
        return Redirect("/")
    return Template("login.html", context={"error": None})


@post("/login", include_in_schema=False)
async def login(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    redis: NamedDependency[Redis],
    data: Form,
) -> Response[Any]:
    outcome = await SignIn(domain, redis).with_password(
        email=data.get("email", ""),
        password=data.get("password", ""),
        ip=_ip(request),
        user_agent=request.headers.get("user-agent"),
        remember=data.get("remember") == "1",
    )
    if isinstance(outcome, Refused):
        headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else {}
        status = 429 if outcome.retry_after else 401
        context = {"error": outcome.message, "email": data.get("email", "")}
        return Template("login.html", context=context, status_code=status, headers=headers)
    if isinstance(outcome, SecondFactorNeeded):
        response: Response[Any] = Redirect("/login/second-factor", status_code=303)
        response.set_cookie(
            PENDING_COOKIE,
            outcome.pending,
            httponly=True,
            secure=domain.settings.security.secure_cookies,
            samesite="strict",
            path="/login",
        )
        return response
    return signed_in_response(domain, outcome, Redirect("/", status_code=303))


@get("/login/second-factor", include_in_schema=False)
async def second_factor_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], redis: NamedDependency[Redis]
) -> Template | Redirect:
    pending = await SignIn(domain, redis).pending(request.cookies.get(PENDING_COOKIE))
    if pending is None:
        return Redirect("/login")
    return Template(
        "login_second_factor.html",
        context={"error": None, "enrol": pending.enrol, "secret": pending.secret, "viewer": None},
    )


@get("/login/second-factor/qr.svg", include_in_schema=False, media_type="image/svg+xml")
async def second_factor_qr(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], redis: NamedDependency[Redis]
) -> Response[bytes]:
    """The QR code of a first enrolment at sign-in, drawn here (the secret never leaves for a service)."""
    pending = await SignIn(domain, redis).pending(request.cookies.get(PENDING_COOKIE))
    if pending is None or not pending.enrol or not pending.secret:
        return Response(b"", status_code=404, media_type="image/svg+xml")
    return Response(qr_svg(provisioning_uri(pending.secret, pending.email)), media_type="image/svg+xml")


@post("/login/second-factor", include_in_schema=False)
async def second_factor(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    redis: NamedDependency[Redis],
    data: Form,
) -> Response[Any]:
    sign_in = SignIn(domain, redis)
    token = request.cookies.get(PENDING_COOKIE) or ""
    pending = await sign_in.pending(token)
    outcome = await sign_in.with_code(
        token, data.get("code", ""), ip=_ip(request), user_agent=request.headers.get("user-agent")
    )
    if isinstance(outcome, Refused):
        if pending is None or await sign_in.pending(token) is None:
            return Template("login.html", context={"error": outcome.message}, status_code=401)
        context = {"error": outcome.message, "enrol": pending.enrol, "secret": pending.secret, "viewer": None}
        return Template("login_second_factor.html", context=context, status_code=401)
    if outcome.recovery_codes or outcome.recovery_codes_left is not None:
        page = Template(
            "recovery_codes.html",
            context={"codes": outcome.recovery_codes, "left": outcome.recovery_codes_left, "viewer": None},
        )
        return signed_in_response(domain, outcome, page)  # type: ignore[arg-type]
    return signed_in_response(domain, outcome, Redirect("/", status_code=303))


@post("/logout", include_in_schema=False)
async def logout(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Redirect:
    async with domain.transaction() as session:
        await close_session(session, request.cookies.get(SESSION_COOKIE), now=domain.clock.now())
    response = Redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response
