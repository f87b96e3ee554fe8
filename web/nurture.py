"""The follow-up screens for managers: sequences and their results, message wording and its approval,
staff calls due, and the nurture settings. Handlers parse, call one router.nurture function, render."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import ActionRefused, InvalidFields
from router.core.models import Practice
from router.nurture.behaviour import BEHAVIOURS
from router.nurture.call_tasks import complete_call_task
from router.nurture.links import inbound_url
from router.nurture.practice_settings import add_starter, save_settings
from router.nurture.promotion import promote_winner
from router.nurture.rendering import TREATMENT_WORDS, VARIABLES
from router.nurture.results import sequence_result
from router.nurture.screens import overview, template_screen
from router.nurture.sequences import (
    ACTIONS,
    SOURCES,
    WAIT_UNITS,
    change_steps,
    create_sequence,
    load_screen,
    save_rules,
    set_active,
)
from router.nurture.templates import approve, save_draft
from router.practices.alert_wording import ALERT_VARIABLES, SHIPPED, STAFF_CHANNEL
from router.privacy.auth import SignedIn
from web.admin.common import signed_in_or_login, submitted
from web.sessions import actor_of

NOTICES = {
    "saved": "Saved.",
    "draft": "Draft saved. It sends once someone else approves it.",
    "approved": "Approved: this wording sends from now on.",
    "step": "Saved as a new version. Leads already in the sequence stay on the version they started.",
    "on": "Switched on: new leads that fit join it.",
    "off": "Switched off: leads in it carry on to the end; no new ones join.",
    "done": "Call marked done.",
    "starter": "Ready-made sequences and wording added.",
    "promoted": "Winner promoted: new leads get it only; leads already in the sequence finish their version.",
}


def local(moment: datetime | None, zone: str) -> str:
    """A time in the practice's zone with its abbreviation ("Mar 3, 10:00 AM CST")."""
    if moment is None:
        return ""
    shown = moment.astimezone(ZoneInfo(zone))
    return shown.strftime("%b %-d, %-I:%M %p %Z")


async def _zone(domain: Domain, signed_in: SignedIn) -> str:
    async with domain.sessionmaker() as session:
        practice = await session.get(Practice, signed_in.viewer.practice_id)
    return practice.time_zone if practice else "UTC"


def _page(template: str, signed_in: SignedIn, zone: str, status_code: int = 200, **context: Any) -> Template:
    return Template(
        template,
        context={
            "viewer": signed_in.viewer,
            "current_page": "nurture",
            "local": lambda moment: local(moment, zone),
            "errors": {},
            "values": {},
            "notice": None,
            "refusal": None,
            "new_errors": {},
            "new_values": {},
            **context,
        },
        status_code=status_code,
    )


async def _overview(domain: Domain, signed_in: SignedIn, status_code: int = 200, **context: Any) -> Template:
    async with domain.sessionmaker() as session:
        screen = await overview(session, signed_in.viewer, domain.clock.now())
    settings = screen.settings
    values = {
        key: "" if getattr(settings, key, None) is None else str(getattr(settings, key))
        for key in (
            "sender_name",
            "sender_email",
            "reply_to",
            "scheduling_url",
            "call_task_score",
            "call_task_escalate_hours",
            "emails_per_hour",
            "texts_per_hour",
            "second_approver_user_id",
        )
    }
    values["tag_reply_address"] = "1" if settings is not None and settings.tag_reply_address else ""
    return _page(
        "nurture/overview.html",
        signed_in,
        await _zone(domain, signed_in),
        status_code,
        screen=screen,
        treatments=TREATMENT_WORDS,
        inbound_url=inbound_url(domain, signed_in.viewer.practice_id),
        **{"values": values, **context},
    )


@get("/nurture", include_in_schema=False)
async def nurture_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], done: FromQuery[str | None] = None
) -> Template | Redirect:
    """Sequences with their results, messages and their approval state, calls due, settings."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _overview(domain, signed_in, notice=NOTICES.get(done or ""))


@post("/nurture/settings", include_in_schema=False)
async def nurture_settings_save(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        await save_settings(domain, signed_in.viewer, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        return await _overview(domain, signed_in, 422, errors=exc.errors, values=form)
    return Redirect("/nurture?done=saved#settings", status_code=303)


@post("/nurture/sequences", include_in_schema=False)
async def nurture_sequence_create(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        sequence_id = await create_sequence(
            domain, signed_in.viewer, form, actor=actor_of(request, signed_in)
        )
    except InvalidFields as exc:
        return await _overview(domain, signed_in, 422, new_errors=exc.errors, new_values=form)
    return Redirect(f"/nurture/sequences/{sequence_id}", status_code=303)


@post("/nurture/starter", include_in_schema=False)
async def nurture_starter(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    await add_starter(domain, signed_in.viewer, actor=actor_of(request, signed_in))
    return Redirect("/nurture?done=starter", status_code=303)


async def _template(
    domain: Domain, signed_in: SignedIn, template_id: uuid.UUID, status_code: int = 200, **context: Any
) -> Template:
    async with domain.sessionmaker() as session:
        screen = await template_screen(session, domain, signed_in.viewer, template_id)
    shown = screen.shown
    values = {"subject": shown.subject or "", "body": shown.body} if shown else {}
    return _page(
        "nurture/template.html",
        signed_in,
        await _zone(domain, signed_in),
        status_code,
        screen=screen,
        variables=(
            {name: ALERT_VARIABLES[name] for name in SHIPPED[screen.template.key].variables}
            if screen.template.channel == STAFF_CHANNEL and screen.template.key in SHIPPED
            else VARIABLES
        ),
        **{"values": values, **context},
    )


@get("/nurture/templates/{template_id:uuid}", include_in_schema=False)
async def nurture_template_page(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    template_id: FromPath[uuid.UUID],
    done: FromQuery[str | None] = None,
) -> Template | Redirect:
    """One message: its versions, a preview with a sample lead, warnings, approve, edit."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _template(domain, signed_in, template_id, notice=NOTICES.get(done or ""))


@post("/nurture/templates/{template_id:uuid}", include_in_schema=False)
async def nurture_template_save(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], template_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        await save_draft(domain, signed_in.viewer, template_id, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        return await _template(domain, signed_in, template_id, 422, errors=exc.errors, values=form)
    return Redirect(f"/nurture/templates/{template_id}?done=draft", status_code=303)


@post("/nurture/templates/{template_id:uuid}/versions/{version_id:uuid}/approve", include_in_schema=False)
async def nurture_template_approve(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    template_id: FromPath[uuid.UUID],
    version_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    try:
        await approve(domain, signed_in.viewer, version_id, actor=actor_of(request, signed_in))
    except ActionRefused as exc:
        if exc.status_code != 409 and type(exc) is not ActionRefused:
            raise
        return await _template(domain, signed_in, template_id, 409, refusal=str(exc))
    return Redirect(f"/nurture/templates/{template_id}?done=approved", status_code=303)


async def _sequence(
    domain: Domain, signed_in: SignedIn, sequence_id: uuid.UUID, status_code: int = 200, **context: Any
) -> Template:
    async with domain.sessionmaker() as session:
        screen = await load_screen(session, signed_in.viewer, sequence_id)
        result = await sequence_result(session, sequence_id, len(screen.version.steps))
    sequence = screen.sequence
    rules = {
        "treatment": sequence.treatment or "",
        "source_kind": sequence.source_kind or "",
        "location_id": str(sequence.location_id or ""),
        "min_score": "" if sequence.min_score is None else str(sequence.min_score),
        "max_score": "" if sequence.max_score is None else str(sequence.max_score),
    }
    return _page(
        "nurture/sequence.html",
        signed_in,
        await _zone(domain, signed_in),
        status_code,
        screen=screen,
        result=result,
        actions=ACTIONS,
        units=list(WAIT_UNITS),
        behaviours=BEHAVIOURS,
        treatments=TREATMENT_WORDS,
        sources=SOURCES,
        rules=rules,
        **{"values": {"wait_unit": "days"}, **context},
    )


@get("/nurture/sequences/{sequence_id:uuid}", include_in_schema=False)
async def nurture_sequence_page(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    sequence_id: FromPath[uuid.UUID],
    done: FromQuery[str | None] = None,
) -> Template | Redirect:
    """One sequence: its diagram with counts, its steps (built by clicking), who joins, on or off."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _sequence(domain, signed_in, sequence_id, notice=NOTICES.get(done or ""))


@post("/nurture/sequences/{sequence_id:uuid}/steps", include_in_schema=False)
async def nurture_sequence_steps(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], sequence_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    change = str(form.get("change") or "add")
    try:
        await change_steps(
            domain, signed_in.viewer, sequence_id, change, form, actor=actor_of(request, signed_in)
        )
    except InvalidFields as exc:
        return await _sequence(
            domain, signed_in, sequence_id, 422, errors=exc.errors, values=form, failed=change
        )
    return Redirect(f"/nurture/sequences/{sequence_id}?done=step#steps", status_code=303)


@post("/nurture/sequences/{sequence_id:uuid}/rules", include_in_schema=False)
async def nurture_sequence_rules(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], sequence_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        await save_rules(domain, signed_in.viewer, sequence_id, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        return await _sequence(
            domain, signed_in, sequence_id, 422, errors=exc.errors, rules=form, failed="rules"
        )
    return Redirect(f"/nurture/sequences/{sequence_id}?done=saved#rules", status_code=303)


@post("/nurture/sequences/{sequence_id:uuid}/active", include_in_schema=False)
async def nurture_sequence_active(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], sequence_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    on = (await submitted(request)).get("on") == "1"
    try:
        await set_active(domain, signed_in.viewer, sequence_id, on, actor=actor_of(request, signed_in))
    except ActionRefused as exc:
        if type(exc) is not ActionRefused:
            raise
        return await _sequence(domain, signed_in, sequence_id, 409, refusal=str(exc))
    return Redirect(f"/nurture/sequences/{sequence_id}?done={'on' if on else 'off'}", status_code=303)


@post("/nurture/sequences/{sequence_id:uuid}/steps/{step:int}/promote", include_in_schema=False)
async def nurture_promote_winner(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    sequence_id: FromPath[uuid.UUID],
    step: FromPath[int],
) -> Template | Redirect:
    """One click: the A/B test's declared winner becomes the step's only message (audited)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    try:
        await promote_winner(domain, signed_in.viewer, sequence_id, step, actor=actor_of(request, signed_in))
    except ActionRefused as exc:
        if exc.status_code not in (409, 422):
            raise
        return await _sequence(
            domain, signed_in, sequence_id, exc.status_code, refusal=str(exc), refusal_title="Not promoted"
        )
    return Redirect(f"/nurture/sequences/{sequence_id}?done=promoted#steps", status_code=303)


@post("/nurture/calls/{task_id:uuid}/done", include_in_schema=False)
async def nurture_call_done(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], task_id: FromPath[uuid.UUID]
) -> Redirect:
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    await complete_call_task(domain, signed_in.viewer, task_id, actor=actor_of(request, signed_in))
    return Redirect("/nurture?done=done#calls", status_code=303)


NURTURE_HANDLERS = [
    nurture_page,
    nurture_settings_save,
    nurture_sequence_create,
    nurture_starter,
    nurture_template_page,
    nurture_template_save,
    nurture_template_approve,
    nurture_sequence_page,
    nurture_sequence_steps,
    nurture_sequence_rules,
    nurture_sequence_active,
    nurture_promote_winner,
    nurture_call_done,
]
