"""The generic chat-transcript webhook: Standard Webhooks signatures, fields named when wrong."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from connectors.forms.signature import sign_delivery
from router.core.clock import Clock
from router.core.models import ChatMessage, Lead

pytestmark = pytest.mark.integration


def transcript(**overrides):  # type: ignore[no-untyped-def]
    body = {
        "conversation_id": "conv-9",
        "contact": {"name": "Lee Chan", "email": "lee.chan@example.com", "phone": "(512) 555-0166"},
        "page_url": "https://brightsmile.example/implants",
        "messages": [
            {
                "id": "m1",
                "direction": "in",
                "body": "How much is an implant?",
                "sent_at": "2026-12-04T21:00:00Z",
            },
            {
                "id": "m2",
                "direction": "out",
                "body": "It depends; can we call you?",
                "sent_at": "2026-12-04T21:01:00Z",
            },
        ],
    }
    body.update(overrides)
    return body


async def post(client, secret, body, webhook_id="msg_1"):  # type: ignore[no-untyped-def]
    raw = json.dumps(body).encode()
    signed = sign_delivery(raw, secret=secret, webhook_id=webhook_id, at=Clock().now())
    headers = signed | {"content-type": "application/json"}
    return await client.post("/webhooks/chat/bright-transcripts", content=raw, headers=headers)


async def test_a_signed_transcript_becomes_a_lead_once(client, domain, chat_world):
    first = await post(client, chat_world.transcript_secret, transcript())
    assert first.status_code == 201, first.text
    assert (await post(client, chat_world.transcript_secret, transcript())).headers.get(
        "idempotent-replayed"
    ) == "true"
    grown = transcript(
        messages=[*transcript()["messages"], {"id": "m3", "direction": "in", "body": "Yes please"}]
    )
    assert (await post(client, chat_world.transcript_secret, grown, webhook_id="msg_2")).status_code == 200
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count(Lead.id))) == 1
        assert await session.scalar(select(func.count(ChatMessage.id))) == 3


async def test_a_forged_or_malformed_transcript_is_refused_and_stores_nothing(client, domain, chat_world):
    assert (await post(client, "whsec_" + "A" * 32, transcript())).status_code == 401
    bad = await post(
        client,
        chat_world.transcript_secret,
        transcript(conversation_id="", messages=[{"direction": "sideways"}]),
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"conversation_id", "messages[0].direction", "messages[0].id"}
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count(Lead.id))) == 0
