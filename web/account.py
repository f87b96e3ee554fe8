"""`/account/set-password/{token}`: a person chooses their password through an invitation or reset link."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.privacy.account_links import LinkUnusable, check_link, use_link
from web.admin.common import submitted


def _page(**context: Any) -> Template:
    status = context.pop("status_code", 200)
    return Template(
        "account_set_password.html",
        context={"viewer": None, "errors": {}, "values": {}, "link": None, "problem": None, **context},
        status_code=status,
    )


@get("/account/set-password/{token:str}", include_in_schema=False)
async def set_password_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], token: FromPath[str]
) -> Template:
    """The password form, or why the link no longer works (used, expired: 410)."""
    try:
        link = await check_link(domain, token)
    except LinkUnusable as exc:
        return _page(problem=str(exc), status_code=410)
    return _page(link=link, token=token)


@post("/account/set-password/{token:str}", include_in_schema=False)
async def set_password_save(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], token: FromPath[str]
) -> Template:
    form = await submitted(request)
    try:
        user = await use_link(
            domain,
            token,
            password=str(form.get("password", "")),
            repeated=str(form.get("repeat", "")),
            ip=request.client.host if request.client else None,
        )
    except LinkUnusable as exc:
        return _page(problem=str(exc), status_code=410)
    except InvalidFields as exc:
        link = await check_link(domain, token)
        return _page(link=link, token=token, errors=exc.errors, status_code=422)
    return _page(done=user.email)
