"""`/overflow`: the overflow agents' console (queue, a lead's context, claim, outcome, hand-back).

Two panes on a desk screen (the queue, the chosen lead beside it); on a phone the lead opens on its
own page (`/overflow/leads/{id}`). Live like the staff board: the page listens on the board's
websocket and reloads its queue on each push (web/static/overflow.js, which also chimes once per
new queue entry); a slow poll is the backstop. Handlers are thin: one domain call, then render.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from markupsafe import escape

from router.appointments.booking import booking_choices, booking_from_form
from router.core import errors
from router.core.domain import Domain
from router.core.events import latest_event_id
from router.leads.overflow import (
    DISPOSITIONS,
    OverflowLead,
    claim_from_queue,
    hand_back,
    load_overflow_queue,
    load_queue_lead,
    record_disposition,
)
from router.privacy.auth import SignedIn
from router.workspace.activity import activity_stream
from web.forms import Form
from web.sessions import actor_of, current_session, provide_signed_in

OVERFLOW_POLL_SECONDS = 30
"""Backstop only: pushes refresh the queue within milliseconds; this covers a socket that is down."""


def _refused(request: Request[Any, Any, Any], exc: errors.ActionRefused) -> Response[str]:
    """A refused action as a short message the console shows where the answer would go."""
    return Response(
        f'<p class="refused" role="alert">{escape(str(exc))}</p>',
        media_type="text/html",
        status_code=exc.status_code,
    )


@get("/overflow", include_in_schema=False)
async def overflow_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead: FromQuery[uuid.UUID | None] = None
) -> Template | Redirect:
    """The console; `?lead=` opens that lead beside the queue (the lead page links here)."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    async with domain.sessionmaker() as session:
        position = await latest_event_id(session)  # before the snapshot: the socket replays from here
    queue = await _queue(request, domain, signed_in)
    panel = await _panel_context(request, domain, signed_in, lead) if lead else None
    context = {
        "viewer": signed_in.viewer,
        "queue": queue,
        "poll_seconds": OVERFLOW_POLL_SECONDS,
        "position": position,
        "panel": panel,
    }
    return Template("overflow.html", context=context)


@get("/overflow/leads/{lead_id:uuid}", include_in_schema=False)
async def overflow_lead_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """One queue lead on its own page: how the console opens a lead on a phone."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    async with domain.sessionmaker() as session:
        position = await latest_event_id(session)
    panel = await _panel_context(request, domain, signed_in, lead_id)
    return Template("overflow_lead_page.html", context={**panel, "position": position})


class OverflowConsole(Controller):
    """The fragments and actions of the console."""

    path = "/overflow/console"
    include_in_schema = False
    dependencies = {"signed_in": Provide(provide_signed_in)}
    exception_handlers = {errors.ActionRefused: _refused}

    @get("/queue")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
    ) -> Template:
        queue = await _queue(request, domain, signed_in)
        return Template("overflow_queue.html", context={"viewer": signed_in.viewer, "queue": queue})

    @get("/leads/{lead_id:uuid}")
    async def lead(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
    ) -> Template:
        return await _lead_panel(request, domain, signed_in, lead_id)

    @post("/leads/{lead_id:uuid}/claim", status_code=200)
    async def claim(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
    ) -> Template:
        await claim_from_queue(domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in))
        return await _lead_panel(request, domain, signed_in, lead_id)

    @post("/leads/{lead_id:uuid}/disposition", status_code=200)
    async def disposition(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
        data: Form,
    ) -> Template:
        """The call's outcome; a refused field comes back beside it (422) with what was typed kept."""
        disposition = data.get("disposition", "")
        try:
            await record_disposition(
                domain,
                signed_in.viewer,
                lead_id,
                disposition=disposition,
                booking=booking_from_form(data) if disposition == "booked" else None,
                note=data.get("note") or None,
                call_back_at=data.get("call_back_at"),
                actor=actor_of(request, signed_in),
            )
        except errors.InvalidFields as exc:
            return await _lead_panel(request, domain, signed_in, lead_id, form=data, problems=exc.errors)
        if disposition in ("booked", "call_back"):
            done = {"viewer": signed_in.viewer, "disposition": disposition, "lead_id": lead_id}
            return Template("overflow_done.html", context=done)
        return await _lead_panel(request, domain, signed_in, lead_id)

    @post("/leads/{lead_id:uuid}/hand-back", status_code=200)
    async def hand_back(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
        data: Form,
    ) -> Template:
        actor = actor_of(request, signed_in)
        try:
            await hand_back(domain, signed_in.viewer, lead_id, note=data.get("note", ""), actor=actor)
        except errors.InvalidFields as exc:
            return await _lead_panel(request, domain, signed_in, lead_id, form=data, problems=exc.errors)
        done = {"viewer": signed_in.viewer, "disposition": "handed_back", "lead_id": lead_id}
        return Template("overflow_done.html", context=done)


async def _queue(request: Request[Any, Any, Any], domain: Domain, signed_in: SignedIn) -> list[OverflowLead]:
    """The agent's queue, read (and audited) in its own transaction."""
    async with domain.transaction() as session:
        return await load_overflow_queue(
            session, domain, signed_in.viewer, actor=actor_of(request, signed_in)
        )


async def _panel_context(
    request: Request[Any, Any, Any],
    domain: Domain,
    signed_in: SignedIn,
    lead_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the lead's pane shows: the queue row, its activity, the booking choices (all audited)."""
    async with domain.transaction() as session:
        lead = await load_queue_lead(
            session, domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in)
        )
        entries = await activity_stream(session, domain, lead_id, zone=lead.time_zone)
        offices, providers = (
            await booking_choices(session, lead.practice_id) if lead.practice_id else ((), ())
        )
    return {
        "viewer": signed_in.viewer,
        "lead": lead,
        "entries": entries,
        "dispositions": DISPOSITIONS,
        "offices": offices,
        "providers": providers,
        "form": form or {},
        "problems": problems or {},
    }


async def _lead_panel(
    request: Request[Any, Any, Any],
    domain: Domain,
    signed_in: SignedIn,
    lead_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
) -> Template:
    context = await _panel_context(request, domain, signed_in, lead_id, form=form, problems=problems)
    return Template("overflow_lead.html", context=context, status_code=422 if problems else 200)
