"""`/inbox`: the practice's text conversations, newest first, and the unread count in the navigation.

The list reloads itself when a text event arrives over the board's websocket (web/static/live.js),
so a patient's reply shows within seconds; opening a conversation is opening the lead page, which
marks it read for the whole desk.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.events import latest_event_id
from router.privacy.access import may_do, require
from router.privacy.auth import SignedIn
from router.reminders.alerts import mark_handled
from router.workspace.texts_inbox import Conversation, load_inbox, unread_conversations
from web.sessions import actor_of, current_session

TEXT_EVENT_KINDS = (
    "lead.sms_received lead.contacted lead.opt_out_flagged lead.texts_read lead.contact_logged "
    "lead.appointment_changed"
)
"""Events after which the inbox list may have changed (a text in or out, a conversation read)."""


async def _inbox(request: Request[Any, Any, Any], domain: Domain, signed_in: SignedIn) -> list[Conversation]:
    require(signed_in.viewer, "texts.inbox")
    async with domain.transaction() as session:
        return await load_inbox(session, domain, signed_in.viewer, actor=actor_of(request, signed_in))


@get("/inbox", include_in_schema=False)
async def inbox_page(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    require(signed_in.viewer, "texts.inbox")
    async with domain.sessionmaker() as session:
        position = await latest_event_id(session)  # before the list: the socket replays from here
    conversations = await _inbox(request, domain, signed_in)
    context = {
        "viewer": signed_in.viewer,
        "conversations": conversations,
        "position": position,
        "kinds": TEXT_EVENT_KINDS,
    }
    return Template("inbox.html", context=context)


@get("/inbox/list", include_in_schema=False)
async def inbox_list(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    """The list alone, reloaded when a text event arrives."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    conversations = await _inbox(request, domain, signed_in)
    return Template("inbox_list.html", context={"viewer": signed_in.viewer, "conversations": conversations})


@get("/inbox/unread", include_in_schema=False)
async def inbox_unread(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Response[str]:
    """The navigation's count of conversations with an unread text from a patient (a number, no PHI)."""
    signed_in = await current_session(request, domain)
    if signed_in is None or not may_do(signed_in.viewer, "texts.inbox"):
        return Response("", media_type="text/html")
    async with domain.sessionmaker() as session:
        count = await unread_conversations(session, signed_in.viewer)
    label = f"{count} unread" if count else ""
    return Response(
        f'<span class="visually-hidden">{label}</span><span aria-hidden="true">{count or ""}</span>'
        if count
        else "",
        media_type="text/html",
    )


@post("/inbox/alerts/{alert_id:uuid}/handled", include_in_schema=False)
async def inbox_alert_handled(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], alert_id: uuid.UUID
) -> Redirect:
    """Someone dealt with a patient's request to cancel or move a visit: the alert leaves the inbox."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    lead_id = await mark_handled(domain, signed_in.viewer, alert_id, actor=actor_of(request, signed_in))
    return Redirect(f"/inbox#conversation-{lead_id}", status_code=303)
