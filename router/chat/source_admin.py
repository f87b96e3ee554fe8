"""The chat screen: a practice's chat sources, a new one, and what each has received.

A Chatwoot source is admitted by Chatwoot's own webhook secret (pasted from Chatwoot's webhook
settings) or, for Chatwoot versions that do not sign, by a secret in the webhook's address that the
product makes; a transcript source gets a Standard Webhooks signing secret. Secrets made here are
shown once, right after they are made, and are stored encrypted.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from router.chat.sources import CHAT_KINDS, NewChatSource, create_chat_source
from router.core.domain import Domain
from router.core.errors import LeadNotFound
from router.core.form_values import FormReader
from router.core.models import ChatConversation, ChatSource
from router.practices.webhook_sources import new_source_key, office_names, read_default_office
from router.privacy import audit
from router.privacy.access import Viewer, require

WEBHOOK_PATHS = {"chatwoot": "/webhooks/chatwoot", "transcript": "/webhooks/chat"}


@dataclass(frozen=True)
class ChatSourceRow:
    source: ChatSource
    webhook_url: str
    """The address without any URL secret (that one is shown once)."""
    default_office: str | None
    admitted_by: str
    """In plain words: what a delivery must carry to be accepted."""
    replies: bool
    conversations: int
    last_conversation: datetime | None


def webhook_url(domain: Domain, source: ChatSource) -> str:
    return f"{domain.settings.intake.public_url.rstrip('/')}{WEBHOOK_PATHS[source.kind]}/{source.key}"


def _admitted_by(source: ChatSource) -> str:
    if source.kind == "transcript":
        return "a Standard Webhooks signature"
    if source.signing_secret_enc is not None:
        return "Chatwoot's signature"
    if source.url_secret_enc is not None:
        return "the secret in its address"
    return "nothing: it refuses every delivery"


async def list_chat_sources(domain: Domain, viewer: Viewer) -> list[ChatSourceRow]:
    require(viewer, "practice.administer")
    async with domain.sessionmaker() as session:
        sources = (
            await session.scalars(
                select(ChatSource)
                .where(ChatSource.practice_id == viewer.practice_id)
                .order_by(ChatSource.name)
            )
        ).all()
        offices = await office_names(session, viewer.practice_id)
        counts = {
            source_id: (count, last)
            for source_id, count, last in (
                await session.execute(
                    select(
                        ChatConversation.chat_source_id,
                        func.count(),
                        func.max(ChatConversation.updated_at),
                    )
                    .where(ChatConversation.practice_id == viewer.practice_id)
                    .group_by(ChatConversation.chat_source_id)
                )
            ).all()
        }
    return [
        ChatSourceRow(
            source,
            webhook_url(domain, source),
            offices.get(source.default_location_id) if source.default_location_id else None,
            _admitted_by(source),
            source.api_token_enc is not None and source.api_base_url is not None,
            *counts.get(source.id, (0, None)),
        )
        for source in sources
    ]


async def load_chat_source_row(domain: Domain, viewer: Viewer, source_id: uuid.UUID) -> ChatSourceRow:
    for row in await list_chat_sources(domain, viewer):
        if row.source.id == source_id:
            return row
    raise LeadNotFound("No such chat source.")


def _reply_account(read: FormReader) -> tuple[str | None, int | None, str | None]:
    """Chatwoot's address, account number and access token for replies: all three, or none."""
    api_url = read.text("api_base_url", label="Chatwoot's address", max_length=300)
    account = read.integer("account_id", label="The account number", low=1, high=10**9, required=False)
    token = read.text("api_token", label="The access token", max_length=300)
    if api_url is not None and urlsplit(api_url).scheme not in ("https", "http"):
        read.fail("api_base_url", "Chatwoot's address must start with https://, like https://chat.example.")
    given = [value is not None for value in (api_url, account, token)]
    if any(given) and not all(given):
        for name, present in zip(("api_base_url", "account_id", "api_token"), given, strict=True):
            if not present:
                read.fail(name, "For replies from the product, fill in all three, or leave all three empty.")
    return api_url, account, token


async def add_chat_source(
    domain: Domain, viewer: Viewer, form: Mapping[str, Any], *, actor: audit.Actor
) -> tuple[uuid.UUID, NewChatSource]:
    """A new chat source; returns its id and any secret made for it (shown once)."""
    require(viewer, "practice.administer")
    read = FormReader(form)
    name = read.text("name", label="The chat's name", required=True)
    kind = read.choice("kind", label="What sends the conversations", choices=CHAT_KINDS)
    webhook_secret = read.text("webhook_secret", label="Chatwoot's webhook secret", max_length=200)
    url_secret = read.boolean("url_secret")
    api_url, account, token = _reply_account(read)
    if kind == "chatwoot" and webhook_secret is None and not url_secret:
        read.fail(
            "webhook_secret",
            "Paste the secret Chatwoot shows in its webhook settings, or tick “a secret in the address”"
            " (without either, every delivery would be refused).",
        )
    async with domain.transaction() as session:
        default = await read_default_office(session, read, viewer.practice_id)
        read.done()
        assert name is not None and kind is not None and viewer.practice_id is not None
        key = new_source_key(name, fallback="chat")
        made = await create_chat_source(
            session,
            domain,
            practice_id=viewer.practice_id,
            key=key,
            kind=kind,
            name=name,
            signing_secret=webhook_secret if kind == "chatwoot" else None,
            url_secret=url_secret and kind == "chatwoot",
            api_base_url=api_url if kind == "chatwoot" else None,
            account_id=account if kind == "chatwoot" else None,
            api_token=token if kind == "chatwoot" else None,
            default_location_id=default,
        )
        audit.record(
            session,
            actor=actor,
            action="chat_source.created",
            practice_id=viewer.practice_id,
            details={"chat_source_id": str(made.source_id), "key": key, "kind": kind},
        )
    return made.source_id, made
