"""`/admin/settings`: the practice settings form (SLA, after hours, assignment, alerts, on-call)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import EditConflict, InvalidFields
from router.practices.settings_admin import (
    AFTER_HOURS_WORDS,
    STAGE_WORDS,
    STRATEGY_WORDS,
    SettingsScreen,
    load_settings_screen,
    save_settings,
)
from router.privacy.auth import SignedIn
from web.admin.common import page, refused, signed_in_or_login, submitted
from web.sessions import actor_of


def _render(signed_in: SignedIn, screen: SettingsScreen, **context: Any) -> Template:
    return page(
        "admin/settings.html",
        signed_in,
        "settings",
        screen=screen,
        after_hours=list(AFTER_HOURS_WORDS.items()),
        strategies=list(STRATEGY_WORDS.items()),
        stages=list(STAGE_WORDS.items()),
        **{"values": screen.values(), "saved": None, **context},
    )


@get("/admin/settings", include_in_schema=False)
async def settings_page(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    saved: FromQuery[str | None] = None,
) -> Template | Redirect:
    """The settings as a form, with what each one does."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    screen = await load_settings_screen(domain, signed_in.viewer)
    return _render(signed_in, screen, saved=None if saved is None else saved == "1")


@post("/admin/settings", include_in_schema=False)
async def settings_save(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Save the form whole, or show every refused field beside it (422) or who saved first (409)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        saved = await save_settings(domain, signed_in.viewer, form, actor=actor_of(request, signed_in))
    except (InvalidFields, EditConflict) as exc:
        screen = await load_settings_screen(domain, signed_in.viewer)
        return _render(signed_in, screen, values=form, **refused(exc))
    return Redirect(f"/admin/settings?saved={1 if saved.changed else 0}", status_code=303)
