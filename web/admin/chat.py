"""`/admin/chat`: chat widgets (Chatwoot) and chat-transcript senders, their secrets (shown once)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from router.chat.source_admin import add_chat_source, list_chat_sources, load_chat_source_row
from router.chat.sources import NewChatSource
from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.privacy.auth import SignedIn
from web.admin.common import page, refused, signed_in_or_login, submitted, zone_and_offices
from web.sessions import actor_of

KINDS = [
    ("chatwoot", "Chatwoot (the chat widget on your website)"),
    ("transcript", "Another chat tool (signed transcripts)"),
]


async def _list(domain: Domain, signed_in: SignedIn, **context: Any) -> Template:
    zone, offices = await zone_and_offices(domain, signed_in)
    sources = await list_chat_sources(domain, signed_in.viewer)
    context = {"values": {"kind": "chatwoot"}, **context}
    return page(
        "admin/chat_sources.html",
        signed_in,
        "chat",
        sources=sources,
        zone=zone,
        offices=offices,
        kinds=KINDS,
        **context,
    )


async def _detail(
    domain: Domain,
    signed_in: SignedIn,
    source_id: uuid.UUID,
    made: NewChatSource | None = None,
    **context: Any,
) -> Template:
    zone, _ = await zone_and_offices(domain, signed_in)
    row = await load_chat_source_row(domain, signed_in.viewer, source_id)
    shown_secret = made.signing_secret if made is not None and row.source.kind == "transcript" else None
    secret_url = f"{row.webhook_url}/{made.url_secret}" if made is not None and made.url_secret else None
    return page(
        "admin/chat_source.html",
        signed_in,
        "chat",
        row=row,
        zone=zone,
        shown_secret=shown_secret,
        secret_url=secret_url,
        **context,
    )


@get("/admin/chat", include_in_schema=False)
async def chat_sources_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """The practice's chat sources and the form to add one."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _list(domain, signed_in)


@post("/admin/chat", include_in_schema=False)
async def chat_source_add(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Add a chat source; any secret made for it is shown on the answer, once."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        source_id, made = await add_chat_source(
            domain, signed_in.viewer, form, actor=actor_of(request, signed_in)
        )
    except InvalidFields as exc:
        return await _list(domain, signed_in, values=form, **refused(exc))
    return await _detail(domain, signed_in, source_id, made, status_code=201)


@get("/admin/chat/{chat_source_id:uuid}", include_in_schema=False)
async def chat_source_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], chat_source_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """One chat source: its address, how deliveries are admitted, replies, what it has received."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _detail(domain, signed_in, chat_source_id)
