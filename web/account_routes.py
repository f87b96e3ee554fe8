"""A person's own account (password, authenticator app), forgotten passwords, and second-factor resets."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from redis.asyncio import Redis
from sqlalchemy import select

from router.core.domain import Domain
from router.core.errors import ActionRefused
from router.core.models import StaffUser
from router.privacy import mfa
from router.privacy.auth import AuthError, SignedIn, authenticate, end_user_sessions, set_password
from router.privacy.password_reset import (
    EXPIRED,
    complete_password_reset,
    request_password_reset,
    reset_link_user,
)
from router.privacy.passwords import PasswordRejected
from web.forms import Form
from web.qr import qr_svg
from web.sessions import actor_of, current_session

ENROLLING_SECONDS = 10 * 60
"""A secret shown on the set-up page stays usable this long."""


async def _account(domain: Domain, signed_in: SignedIn, status_code: int = 200, **context: Any) -> Template:
    async with domain.sessionmaker() as session:
        user = await session.get(StaffUser, signed_in.viewer.user_id)
    return Template(
        "account.html",
        context={
            "viewer": signed_in.viewer,
            "enrolled": bool(user and user.mfa_enrolled_at),
            "required": mfa.requires_mfa(signed_in.viewer.role),
            "error": None,
            "notice": None,
            **context,
        },
        status_code=status_code,
    )


@get("/account", include_in_schema=False)
async def account_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    return await _account(domain, signed_in)


@post("/account/password", include_in_schema=False, status_code=200)
async def change_password(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], data: Form
) -> Template | Redirect:
    """A new password after the current one; every other session of theirs ends."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    async with domain.sessionmaker() as session:
        user = await session.get(StaffUser, signed_in.viewer.user_id)
        try:
            await authenticate(session, email=user.email if user else "", password=data.get("current", ""))
        except AuthError:
            return await _account(domain, signed_in, 422, error="Your current password is not right.")
    try:
        await set_password(
            domain,
            signed_in.viewer.user_id,
            data.get("new", ""),
            actor=actor_of(request, signed_in),
            keep_session_key=signed_in.session_key,
        )
    except PasswordRejected as exc:
        return await _account(domain, signed_in, 422, error=str(exc))
    return await _account(domain, signed_in, notice="Password changed; you were signed out everywhere else.")


def _enrolling_key(domain: Domain, signed_in: SignedIn) -> str:
    return f"{domain.settings.redis.prefix}:mfa:enrolling:{signed_in.session_key}"


@get("/account/mfa", include_in_schema=False)
async def mfa_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], redis: NamedDependency[Redis]
) -> Template | Redirect:
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    secret = mfa.new_secret()
    await redis.set(_enrolling_key(domain, signed_in), secret, ex=ENROLLING_SECONDS)
    return Template("account_mfa.html", context={"viewer": signed_in.viewer, "secret": secret, "error": None})


@get("/account/mfa/qr.svg", include_in_schema=False, media_type="image/svg+xml")
async def mfa_qr(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], redis: NamedDependency[Redis]
) -> Response[bytes]:
    signed_in = await current_session(request, domain)
    secret = await redis.get(_enrolling_key(domain, signed_in)) if signed_in else None
    if signed_in is None or secret is None:
        return Response(b"", status_code=404, media_type="image/svg+xml")
    async with domain.sessionmaker() as session:
        email = await session.scalar(select(StaffUser.email).where(StaffUser.id == signed_in.viewer.user_id))
    return Response(qr_svg(mfa.provisioning_uri(secret.decode(), email or "")), media_type="image/svg+xml")


@post("/account/mfa", include_in_schema=False, status_code=200)
async def mfa_confirm(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    redis: NamedDependency[Redis],
    data: Form,
) -> Template | Redirect:
    """Confirm the new authenticator with a code; a replaced one ends every other session."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    secret = await redis.get(_enrolling_key(domain, signed_in))
    if secret is None:
        return Redirect("/account/mfa", status_code=303)
    async with domain.sessionmaker() as session:
        replacing = bool(
            await session.scalar(
                select(StaffUser.mfa_enrolled_at).where(StaffUser.id == signed_in.viewer.user_id)
            )
        )
    actor = actor_of(request, signed_in)
    try:
        codes = await mfa.enrol(
            domain, signed_in.viewer.user_id, secret=secret.decode(), code=data.get("code", ""), actor=actor
        )
    except ActionRefused as exc:
        context = {
            "viewer": signed_in.viewer,
            "secret": secret.decode(),
            "error": str(exc),
            "replacing": replacing,
        }
        return Template("account_mfa.html", context=context, status_code=422)
    await redis.delete(_enrolling_key(domain, signed_in))
    if replacing:
        await end_user_sessions(
            domain,
            signed_in.viewer.user_id,
            actor=actor,
            reason="mfa_replaced",
            keep_session_key=signed_in.session_key,
        )
    return Template("recovery_codes.html", context={"viewer": signed_in.viewer, "codes": codes, "left": None})


@post("/account/users/{user_id:uuid}/reset-mfa", include_in_schema=False)
async def reset_user_mfa(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], user_id: FromPath[uuid.UUID]
) -> Redirect:
    """A practice admin (or an operator, for admins) removes a person's lost authenticator."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    await mfa.reset_mfa(domain, signed_in.viewer, user_id, actor=actor_of(request, signed_in))
    return Redirect(request.headers.get("referer") or "/account", status_code=303)


@get("/password/forgot", include_in_schema=False)
async def forgot_page() -> Template:
    return Template("password_forgot.html", context={"sent": False})


@post("/password/forgot", include_in_schema=False, status_code=200)
async def forgot(request: Request[Any, Any, Any], domain: NamedDependency[Domain], data: Form) -> Template:
    """The same answer whether or not the address has an account."""
    await request_password_reset(
        domain,
        data.get("email", ""),
        base_url=domain.settings.intake.public_url,
        ip=request.client.host if request.client else None,
    )
    return Template("password_forgot.html", context={"sent": True})


@get("/password/reset/{token:str}", include_in_schema=False)
async def reset_page(domain: NamedDependency[Domain], token: FromPath[str]) -> Template:
    expired = None if await reset_link_user(domain, token) else EXPIRED
    return Template("password_reset.html", context={"token": token, "expired": expired, "error": None})


@post("/password/reset/{token:str}", include_in_schema=False, status_code=200)
async def reset(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], token: FromPath[str], data: Form
) -> Template:
    try:
        await complete_password_reset(
            domain, token, data.get("new", ""), ip=request.client.host if request.client else None
        )
    except PasswordRejected as exc:
        context = {"token": token, "expired": None, "error": str(exc)}
        return Template("password_reset.html", context=context, status_code=422)
    except ActionRefused as exc:
        context = {"token": token, "expired": str(exc), "error": None}
        return Template("password_reset.html", context=context, status_code=410)
    return Template("login.html", context={"error": None, "notice": "Password set. Sign in with it now."})


ACCOUNT_HANDLERS = [
    account_page,
    change_password,
    mfa_page,
    mfa_qr,
    mfa_confirm,
    reset_user_mfa,
    forgot_page,
    forgot,
    reset_page,
    reset,
]
