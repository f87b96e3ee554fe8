"""Chat sources: a practice's Chatwoot inbox or chat-transcript sender, and the secrets that admit it.

A Chatwoot source verifies Chatwoot's signature (its webhook secret) or, for Chatwoot versions that
do not sign, a secret in the webhook's URL; a transcript source verifies Standard Webhooks
signatures like the web forms. Secrets are stored encrypted, each bound to its source's row.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import ChatSource
from router.core.phi_columns import CHAT_API_TOKEN, CHAT_SIGNING_SECRET, CHAT_URL_SECRET
from router.core.ports import ChatAccount

CHAT_KINDS = ("chatwoot", "transcript")


@dataclass(frozen=True)
class ChatSourceView:
    """A chat source with its secrets opened, for checking a delivery and sending replies."""

    id: uuid.UUID
    practice_id: uuid.UUID
    key: str
    kind: str
    default_location_id: uuid.UUID | None
    signing_secret: str | None
    url_secret: str | None
    account: ChatAccount | None
    """Where replies go (a Chatwoot source with an API token); None: replies cannot be sent."""


@dataclass(frozen=True)
class NewChatSource:
    source_id: uuid.UUID
    signing_secret: str | None
    url_secret: str | None


async def create_chat_source(
    session: AsyncSession,
    domain: Domain,
    *,
    practice_id: uuid.UUID,
    key: str,
    kind: str,
    name: str,
    signing_secret: str | None = None,
    url_secret: bool = False,
    api_base_url: str | None = None,
    account_id: int | None = None,
    api_token: str | None = None,
    default_location_id: uuid.UUID | None = None,
) -> NewChatSource:
    """A new source. A transcript source always gets a generated signing secret (Standard Webhooks,
    `whsec_` + base64); a Chatwoot source takes Chatwoot's webhook secret and/or a generated URL secret."""
    if kind not in CHAT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(CHAT_KINDS)}")
    source_id = uuid.uuid4()
    if kind == "transcript" and signing_secret is None:
        import base64

        signing_secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    url_token = secrets.token_urlsafe(24) if url_secret else None
    cipher = domain.cipher
    session.add(
        ChatSource(
            id=source_id,
            practice_id=practice_id,
            key=key,
            kind=kind,
            name=name,
            default_location_id=default_location_id,
            signing_secret_enc=cipher.seal(signing_secret, column=CHAT_SIGNING_SECRET, row_id=source_id),
            url_secret_enc=cipher.seal(url_token, column=CHAT_URL_SECRET, row_id=source_id),
            api_base_url=api_base_url,
            account_id=account_id,
            api_token_enc=cipher.seal(api_token, column=CHAT_API_TOKEN, row_id=source_id),
            created_at=domain.clock.now(),
        )
    )
    await session.flush()
    return NewChatSource(source_id, signing_secret, url_token)


def view_of(domain: Domain, source: ChatSource) -> ChatSourceView:
    cipher = domain.cipher
    token = cipher.open(source.api_token_enc, column=CHAT_API_TOKEN, row_id=source.id)
    account = (
        ChatAccount(source.api_base_url, source.account_id, token)
        if token and source.api_base_url and source.account_id is not None
        else None
    )
    return ChatSourceView(
        id=source.id,
        practice_id=source.practice_id,
        key=source.key,
        kind=source.kind,
        default_location_id=source.default_location_id,
        signing_secret=cipher.open(source.signing_secret_enc, column=CHAT_SIGNING_SECRET, row_id=source.id),
        url_secret=cipher.open(source.url_secret_enc, column=CHAT_URL_SECRET, row_id=source.id),
        account=account,
    )


async def load_chat_source(domain: Domain, key: str, *, kind: str) -> ChatSourceView | None:
    """The source with this key and kind, or None."""
    async with domain.sessionmaker() as session:
        source = await session.scalar(
            select(ChatSource).where(ChatSource.key == key, ChatSource.kind == kind)
        )
    return view_of(domain, source) if source is not None else None
