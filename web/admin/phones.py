"""`/admin/phones`: tracking numbers, how calls ring, and the call center that takes the overflow."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import EditConflict, InvalidFields
from router.phones.phone_admin import (
    CHANNEL_WORDS,
    OVERFLOW_WORDS,
    add_number,
    load_phones,
    remove_number,
    save_phone_settings,
)
from router.privacy.auth import SignedIn
from web.admin.common import page, refused, signed_in_or_login, submitted
from web.sessions import actor_of

NOTICES = {
    "added": "Tracking number added.",
    "removed": "Tracking number removed.",
    "saved": "Saved.",
    "same": "Nothing changed.",
}


async def _page(domain: Domain, signed_in: SignedIn, **context: Any) -> Template:
    screen = await load_phones(domain, signed_in.viewer)
    return page(
        "admin/phones.html",
        signed_in,
        "phones",
        screen=screen,
        channels=list(CHANNEL_WORDS.items()),
        channel_words=CHANNEL_WORDS,
        overflow_modes=list(OVERFLOW_WORDS.items()),
        offices=[("", "Choose the office"), *[(str(i), name) for i, name in screen.offices]],
        **{"values": screen.values(), "number_values": {}, "number_errors": {}, "notice": None, **context},
    )


@get("/admin/phones", include_in_schema=False)
async def phones_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], done: FromQuery[str | None] = None
) -> Template | Redirect:
    """Tracking numbers with their channel and office; ring and overflow settings; the call center."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _page(domain, signed_in, notice=NOTICES.get(done or ""))


@post("/admin/phones/numbers", include_in_schema=False)
async def phones_add_number(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        await add_number(domain, signed_in.viewer, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        return await _page(domain, signed_in, number_values=form, number_errors=exc.errors, status_code=422)
    return Redirect("/admin/phones?done=added#numbers", status_code=303)


@post("/admin/phones/numbers/{number_id:uuid}/remove", include_in_schema=False)
async def phones_remove_number(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], number_id: FromPath[uuid.UUID]
) -> Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    await remove_number(domain, signed_in.viewer, number_id, actor=actor_of(request, signed_in))
    return Redirect("/admin/phones?done=removed#numbers", status_code=303)


@post("/admin/phones/settings", include_in_schema=False)
async def phones_save_settings(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        changed = await save_phone_settings(
            domain, signed_in.viewer, form, actor=actor_of(request, signed_in)
        )
    except (InvalidFields, EditConflict) as exc:
        return await _page(domain, signed_in, values=form, **refused(exc))
    return Redirect(f"/admin/phones?done={'saved' if changed else 'same'}#settings", status_code=303)
