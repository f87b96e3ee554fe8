"""`/overflow`: the overflow agents' console (queue, a lead's context, claim, disposition, hand-back).

Live like the staff board: the page listens on the board's websocket (the hub sends an agent the
overflow leads of its call center's practices) and reloads its queue on each push; a slow poll is
the backstop. Handlers are thin: one domain call, then render.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Redirect, Template

from router.core import errors
from router.core.domain import Domain
from router.core.events import latest_event_id
from router.leads.overflow import (
    DISPOSITIONS,
    OverflowLead,
    claim_from_queue,
    hand_back,
    load_overflow_queue,
    load_timeline,
    record_disposition,
)
from router.privacy.auth import SignedIn
from web.forms import Form
from web.problems import REFUSALS_IN_PLACE
from web.sessions import actor_of, current_session, provide_signed_in

OVERFLOW_POLL_SECONDS = 30
"""Backstop only: pushes refresh the queue within milliseconds; this covers a socket that is down."""


def _call_back_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise errors.InvalidChoice("The call-back time is not a date and time.") from exc


@get("/overflow", include_in_schema=False)
async def overflow_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    async with domain.sessionmaker() as session:
        position = await latest_event_id(session)  # before the snapshot: the socket replays from here
    queue = await _queue(request, domain, signed_in)
    context = {
        "viewer": signed_in.viewer,
        "queue": queue,
        "poll_seconds": OVERFLOW_POLL_SECONDS,
        "position": position,
    }
    return Template("overflow.html", context=context)


class OverflowConsole(Controller):
    """The fragments and actions of the console."""

    path = "/overflow/console"
    include_in_schema = False
    dependencies = {"signed_in": Provide(provide_signed_in)}
    opt = {REFUSALS_IN_PLACE: True}

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
        await record_disposition(
            domain,
            signed_in.viewer,
            lead_id,
            disposition=data.get("disposition", ""),
            note=data.get("note") or None,
            call_back_at=_call_back_at(data.get("call_back_at")),
            actor=actor_of(request, signed_in),
        )
        return await _lead_panel(request, domain, signed_in, lead_id)

    @post("/leads/{lead_id:uuid}/hand-back", status_code=200)
    async def hand_back(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
        data: Form,
    ) -> Response[str]:
        await hand_back(
            domain, signed_in.viewer, lead_id, note=data.get("note", ""), actor=actor_of(request, signed_in)
        )
        return Response('<p class="done">Handed back to the practice.</p>', media_type="text/html")


async def _queue(request: Request[Any, Any, Any], domain: Domain, signed_in: SignedIn) -> list[OverflowLead]:
    """The agent's queue, read (and audited) in its own transaction."""
    async with domain.transaction() as session:
        return await load_overflow_queue(
            session, domain, signed_in.viewer, actor=actor_of(request, signed_in)
        )


async def _lead_panel(
    request: Request[Any, Any, Any], domain: Domain, signed_in: SignedIn, lead_id: uuid.UUID
) -> Template:
    async with domain.transaction() as session:
        lead, timeline = await load_timeline(
            session, domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in)
        )
    context = {"viewer": signed_in.viewer, "lead": lead, "timeline": timeline, "dispositions": DISPOSITIONS}
    return Template("overflow_lead.html", context=context)
