"""Chatwoot webhooks in its documented format: signatures, retries, early messages, merges, replies."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select, text

from router.core.models import ChatConversation, ChatMessage, Lead, Touchpoint
from tests.chat.conftest import WEBHOOK_SECRET, contact, conversation_created, message_created, signed
from tests.factories import csrf_of, inquiry, open_staff_session
from tests.factories import signed as form_signed

pytestmark = pytest.mark.integration

URL = "/webhooks/chatwoot/bright-chat"


async def count(domain, model) -> int:  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_a_new_conversation_with_contact_details_becomes_a_chat_lead(client, domain, chat_world):
    first = {
        "id": 501,
        "content": "Do you do Invisalign for teens?",
        "message_type": 0,
        "created_at": 1764884402,
    }
    body, headers = signed(conversation_created(messages=[first]))
    answer = await client.post(URL, content=body, headers=headers)
    assert answer.status_code == 201, answer.text
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, answer.json()["lead_id"])
        touchpoint = await session.scalar(select(Touchpoint).where(Touchpoint.lead_id == lead.id))
        raw = (await session.execute(text("SELECT body_enc FROM chat_messages"))).scalars().all()
    assert (lead.source_kind, lead.source_channel, lead.status) == ("chat", "chat", "open")
    assert touchpoint.landing_page == "https://brightsmile.example/invisalign"
    assert len(raw) == 1 and b"Invisalign" not in bytes(raw[0])  # messages are encrypted

    later, headers = signed(message_created(502, "My daughter is 14"))
    assert (await client.post(URL, content=later, headers=headers)).json()["lead_id"] == str(lead.id)
    client.cookies.set(
        "lr_session", await open_staff_session(domain, chat_world.practice.staff["desk@bright.example"])
    )
    transcript = await client.get(f"/leads/{lead.id}/chat")
    assert transcript.status_code == 200
    assert transcript.text.index("Invisalign for teens") < transcript.text.index("My daughter is 14")


async def test_forged_unsigned_stale_and_unconfigured_deliveries_are_refused(client, domain, chat_world):
    payload = conversation_created()
    body, headers = signed(payload, secret="not-the-secret")
    assert (await client.post(URL, content=body, headers=headers)).status_code == 401
    body, headers = signed(payload)
    unsigned = {k: v for k, v in headers.items() if k not in ("X-Chatwoot-Signature",)}
    assert (await client.post(URL, content=body, headers=unsigned)).status_code == 401
    body, headers = signed(payload, at=int(time.time()) - 3600)
    assert (await client.post(URL, content=body, headers=headers)).status_code == 401
    tampered = body.replace(b"Maria", b"Mallory")
    _, headers = signed(payload)
    assert (await client.post(URL, content=tampered, headers=headers)).status_code == 401
    body, headers = signed(payload)
    assert (
        await client.post("/webhooks/chatwoot/bright-bare", content=body, headers=headers)
    ).status_code == 401
    assert (
        await client.post("/webhooks/chatwoot/bright-bare/anything", content=body, headers=headers)
    ).status_code == 401
    assert (
        await client.post("/webhooks/chatwoot/bright-old/wrong", content=body, headers=headers)
    ).status_code == 401
    assert (await client.post("/webhooks/chatwoot/nobody", content=body, headers=headers)).status_code == 404
    assert await count(domain, Lead) == 0 and await count(domain, ChatConversation) == 0
    older = await client.post(
        f"/webhooks/chatwoot/bright-old/{chat_world.url_secret}", content=body, headers=headers
    )
    assert older.status_code == 201


async def test_a_retried_delivery_changes_nothing_and_a_message_before_its_conversation_still_makes_the_lead(
    client, domain, chat_world
):
    early, headers = signed(message_created(601, "Is there parking?", number=43), delivery="d-601")
    first = await client.post(URL, content=early, headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post(URL, content=early, headers=headers)
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
    assert again.json()["lead_id"] == first.json()["lead_id"]
    late, headers = signed(
        conversation_created(43, messages=[{"id": 601, "content": "Is there parking?", "message_type": 0}])
    )
    assert (await client.post(URL, content=late, headers=headers)).json()["lead_id"] == first.json()[
        "lead_id"
    ]
    assert await count(domain, Lead) == 1 and await count(domain, ChatMessage) == 1


async def test_a_conversation_from_a_known_phone_merges_into_their_open_lead(client, domain, chat_world):
    raw, form_headers = form_signed(inquiry(phone="(512) 555-0123"), chat_world.practice.secret)
    known = (
        await client.post(
            f"/webhooks/forms/{chat_world.practice.form_key}", content=raw, headers=form_headers
        )
    ).json()["lead_id"]
    body, headers = signed(conversation_created(44, sender=contact(name="Ana Lopez", email=None)))
    answer = await client.post(URL, content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["lead_id"] == known
    assert await count(domain, Lead) == 1


async def test_a_conversation_without_contact_details_waits_for_them(client, domain, chat_world):
    anonymous = {"id": 78, "name": "silent-sun-17", "email": None, "phone_number": None, "type": "contact"}
    body, headers = signed(conversation_created(45, sender=anonymous))
    answer = await client.post(URL, content=body, headers=headers)
    assert (
        answer.status_code == 200 and answer.json()["event"] == "waiting" and await count(domain, Lead) == 0
    )
    body, headers = signed(
        message_created(
            701,
            "I'm Jo, jo@example.com",
            number=45,
            sender={**anonymous, "email": "jo@example.com", "name": "Jo Park"},
        )
    )
    assert (await client.post(URL, content=body, headers=headers)).status_code == 201


async def test_private_notes_and_other_events_are_not_patient_messages(client, domain, chat_world):
    body, headers = signed(conversation_created(46))
    await client.post(URL, content=body, headers=headers)
    body, headers = signed(
        message_created(801, "internal: VIP", number=46, message_type="outgoing", private=True)
    )
    assert (await client.post(URL, content=body, headers=headers)).status_code == 200
    body, headers = signed({"event": "webwidget_triggered", "id": 1})
    assert (await client.post(URL, content=body, headers=headers)).json() == {
        "ignored": "webwidget_triggered"
    }
    body, headers = signed({"event": "message_created", "id": 5, "content": "hi"})
    assert (await client.post(URL, content=body, headers=headers)).status_code == 422
    assert await count(domain, ChatMessage) == 0


async def test_a_reply_reaches_chatwoot_and_a_failed_one_can_be_retried(client, domain, chat_world):
    body, headers = signed(conversation_created(47))
    lead_id = (await client.post(URL, content=body, headers=headers)).json()["lead_id"]
    client.cookies.set(
        "lr_session", await open_staff_session(domain, chat_world.practice.staff["desk@bright.example"])
    )
    token = await csrf_of(client)
    sent = await client.post(
        f"/leads/{lead_id}/chat/replies", data={"body": "Yes! Call us at 512-555-0100.", "_csrf_token": token}
    )
    assert sent.status_code == 200 and "Not delivered" not in sent.text
    [request] = chat_world.chatwoot.sent
    assert request["conversation_id"] == 47 and request["account_id"] == 3
    assert (request["content"], request["message_type"], request["private"]) == (
        "Yes! Call us at 512-555-0100.",
        "outgoing",
        False,
    )
    echo, headers = signed(
        message_created(
            chat_world.chatwoot.next_id, "Yes! Call us at 512-555-0100.", number=47, message_type="outgoing"
        )
    )
    await client.post(URL, content=echo, headers=headers)
    assert await count(domain, ChatMessage) == 1  # the echo is our own reply, not a second message

    chat_world.chatwoot.failures.append(503)
    failed = await client.post(
        f"/leads/{lead_id}/chat/replies", data={"body": "Are mornings OK?", "_csrf_token": token}
    )
    assert "Not delivered" in failed.text and "HTTP 503" in failed.text
    async with domain.sessionmaker() as session:
        message = await session.scalar(select(ChatMessage).where(ChatMessage.status == "failed"))
    retried = await client.post(
        f"/leads/{lead_id}/chat/replies/{message.id}/retry", data={"_csrf_token": token}
    )
    assert retried.status_code == 200 and "Not delivered" not in retried.text
    assert [r["content"] for r in chat_world.chatwoot.sent] == [
        "Yes! Call us at 512-555-0100.",
        "Are mornings OK?",
    ]


async def test_the_webhook_secret_is_stored_encrypted(domain, chat_world):
    async with domain.sessionmaker() as session:
        raw = (
            await session.execute(text("SELECT signing_secret_enc, api_token_enc FROM chat_sources"))
        ).all()
    assert all(
        WEBHOOK_SECRET.encode() not in bytes(row[0] or b"") and b"cw-api" not in bytes(row[1] or b"")
        for row in raw
    )
