"""Appointment reminders for managers: the settings (on/off, confirmation, timings) beside the follow-up
screens, and the no-show report per office. Handlers parse, call one router.reminders function, render."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import func, select

from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.core.models import NurtureMessage, NurtureTemplate, Practice
from router.nurture.starter_wording import REMINDER_NAMES
from router.privacy.access import require
from router.privacy.auth import SignedIn
from router.reminders.report import no_show_report
from router.reminders.settings import DEFAULT_HOURS, load_settings, save_settings, type_hours_text
from web.admin.common import signed_in_or_login, submitted
from web.sessions import actor_of


async def _settings_page(
    domain: Domain, signed_in: SignedIn, status_code: int = 200, **context: Any
) -> Template:
    viewer = signed_in.viewer
    require(viewer, "nurture.manage")
    async with domain.sessionmaker() as session:
        row = await load_settings(session, viewer.practice_id)  # type: ignore[arg-type]
        practice = await session.get(Practice, viewer.practice_id)
        templates = (
            await session.execute(
                select(
                    NurtureTemplate.id,
                    NurtureTemplate.name,
                    NurtureTemplate.language,
                    NurtureTemplate.approved_version_id,
                )
                .where(
                    NurtureTemplate.practice_id == viewer.practice_id, NurtureTemplate.key.in_(REMINDER_NAMES)
                )
                .order_by(NurtureTemplate.name, NurtureTemplate.language)
            )
        ).all()
        waiting = await session.scalar(
            select(func.count()).where(
                NurtureMessage.practice_id == viewer.practice_id,
                NurtureMessage.purpose == "reminder",
                NurtureMessage.status == "queued",
            )
        )
    values = {
        "enabled": bool(row and row.enabled),
        "confirmation": row.confirmation if row else True,
        "hours_before": ", ".join(str(h) for h in (row.hours_before if row else DEFAULT_HOURS)),
        "type_hours": type_hours_text(row.type_hours if row else {}),
    }
    return Template(
        "reminders/settings.html",
        context={
            "viewer": viewer,
            "current_page": "nurture",
            "settings": row,
            "zone": practice.time_zone if practice else "UTC",
            "templates": templates,
            "waiting": int(waiting or 0),
            "errors": {},
            "notice": None,
            **{"values": values, **context},
        },
        status_code=status_code,
    )


@get("/reminders", include_in_schema=False)
async def reminders_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], done: FromQuery[str | None] = None
) -> Template | Redirect:
    """The practice's reminder settings and the state of their wording."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _settings_page(domain, signed_in, notice="Saved." if done == "saved" else None)


@post("/reminders/settings", include_in_schema=False)
async def reminders_settings_save(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        await save_settings(domain, signed_in.viewer, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        return await _settings_page(domain, signed_in, 422, errors=exc.errors, values=form)
    return Redirect("/reminders?done=saved", status_code=303)


@get("/reminders/no-shows", include_in_schema=False)
async def no_show_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """No-show rate by month per office, before and after reminders were switched on."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    async with domain.sessionmaker() as session:
        report = await no_show_report(session, signed_in.viewer, now=domain.clock.now())
        practice = await session.get(Practice, signed_in.viewer.practice_id)
    return Template(
        "reminders/no_shows.html",
        context={
            "viewer": signed_in.viewer,
            "current_page": "funnel",
            "report": report,
            "zone": practice.time_zone if practice else "UTC",
        },
    )
