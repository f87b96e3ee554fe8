"""Chat fixtures: a practice with Chatwoot sources (signed, URL secret, neither), a transcript source,
and a local server speaking Chatwoot's REST API for replies."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from connectors.chatwoot.fake import FakeChatwoot
from connectors.chatwoot.signature import sign
from router.chat.sources import create_chat_source
from tests.factories import PracticeFixture, make_practice

WEBHOOK_SECRET = "cw-webhook-secret-7f3a"
API_TOKEN = "cw-api-token-91bd"


@dataclass
class ChatWorld:
    practice: PracticeFixture
    chatwoot: FakeChatwoot
    url_secret: str
    transcript_secret: str


@pytest.fixture
async def chat_world(domain: Any) -> Any:
    practice = await make_practice(domain, staff={"desk@bright.example": {"name": "Ana Front"}})
    chatwoot = await FakeChatwoot(api_token=API_TOKEN).start()
    async with domain.sessionmaker() as session, session.begin():
        await create_chat_source(
            session,
            domain,
            practice_id=practice.practice.id,
            key="bright-chat",
            kind="chatwoot",
            name="Website chat",
            signing_secret=WEBHOOK_SECRET,
            api_base_url=chatwoot.base_url,
            account_id=3,
            api_token=API_TOKEN,
        )
        older = await create_chat_source(
            session,
            domain,
            practice_id=practice.practice.id,
            key="bright-old",
            kind="chatwoot",
            name="Old",
            url_secret=True,
        )
        await create_chat_source(
            session,
            domain,
            practice_id=practice.practice.id,
            key="bright-bare",
            kind="chatwoot",
            name="Unset",
        )
        transcript = await create_chat_source(
            session,
            domain,
            practice_id=practice.practice.id,
            key="bright-transcripts",
            kind="transcript",
            name="Bot",
        )
    yield ChatWorld(practice, chatwoot, older.url_secret or "", transcript.signing_secret or "")
    await chatwoot.stop()


def contact(
    name: str = "Maria Gomez", email: str | None = "maria.g@example.com", phone: str | None = "+15125550123"
) -> dict:
    return {"id": 77, "name": name, "email": email, "phone_number": phone, "type": "contact", "thumbnail": ""}


def conversation_created(
    number: int = 42, *, sender: dict | None = None, messages: list | None = None
) -> dict:
    """A `conversation_created` delivery as Chatwoot sends it (the conversation object at the top)."""
    return {
        "event": "conversation_created",
        "id": number,
        "inbox_id": 1,
        "status": "open",
        "channel": "Channel::WebWidget",
        "can_reply": True,
        "additional_attributes": {
            "browser": {"browser_name": "Chrome", "platform_name": "macOS"},
            "referer": "https://brightsmile.example/invisalign",
            "initiated_at": {"timestamp": "Fri Dec 04 2026 15:40:01 GMT-0600"},
        },
        "contact_inbox": {"id": 5, "contact_id": 77, "inbox_id": 1, "source_id": "f3b1"},
        "meta": {"sender": sender if sender is not None else contact(), "assignee": None},
        "messages": messages if messages is not None else [],
        "account": {"id": 3, "name": "Bright Dental"},
        "timestamp": 1764884401,
        "created_at": 1764884401,
    }


def message_created(
    message_id: int,
    content: str,
    *,
    number: int = 42,
    message_type: str = "incoming",
    sender: dict | None = None,
    private: bool = False,
) -> dict:
    """A `message_created` delivery (the message at the top, its conversation inside)."""
    who = sender if sender is not None else contact()
    return {
        "event": "message_created",
        "id": message_id,
        "content": content,
        "created_at": "2026-12-04T21:40:05.000Z",
        "message_type": message_type,
        "content_type": "text",
        "content_attributes": {},
        "private": private,
        "source_id": None,
        "sender": who if message_type == "incoming" else {"id": 1, "name": "Agent", "type": "user"},
        "conversation": {
            "id": number,
            "inbox_id": 1,
            "status": "open",
            "additional_attributes": {"referer": "https://brightsmile.example/invisalign"},
            "contact_inbox": {"source_id": "f3b1"},
            "meta": {"sender": who},
        },
        "account": {"id": 3, "name": "Bright Dental"},
        "inbox": {"id": 1, "name": "Website"},
    }


def signed(
    payload: dict, *, secret: str = WEBHOOK_SECRET, delivery: str | None = None, at: int | None = None
) -> tuple[bytes, dict]:
    body = json.dumps(payload).encode()
    stamp = at if at is not None else int(time.time())
    return body, {
        "content-type": "application/json",
        "X-Chatwoot-Signature": sign(body, secret=secret, timestamp=stamp),
        "X-Chatwoot-Timestamp": str(stamp),
        "X-Chatwoot-Delivery": delivery or str(uuid.uuid4()),
    }
