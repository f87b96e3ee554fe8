"""The chat screen: connecting Chatwoot (its own secret, or a secret in the address shown once) and a
transcript sender (a signing secret shown once); the addresses it gives admit deliveries; what is
refused beside its field changes nothing; only a practice admin of that practice sees it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from router.core.models import AuditRecord, ChatSource
from tests.admin.conftest import sign_in
from tests.chat.conftest import conversation_created, signed

pytestmark = pytest.mark.integration

CHATWOOT = {"name": "Website chat", "kind": "chatwoot", "default_location_id": ""}


async def sources(domain) -> int:  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(ChatSource))


async def test_chatwoot_with_its_own_secret_admits_signed_deliveries_and_the_secret_is_not_shown(
    client, domain, practices
):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    made = await client.post("/admin/chat", data={**CHATWOOT, "webhook_secret": "cw-secret-1"}, headers=csrf)
    assert made.status_code == 201, made.text
    address = re.search(r"<code>https?://[^/]+(/webhooks/chatwoot/[a-z0-9-]+)</code>", made.text).group(1)
    assert "cw-secret-1" not in made.text and "Chatwoot&#39;s signature" in made.text
    body, headers = signed(conversation_created(), secret="cw-secret-1")
    assert (await client.post(address, content=body, headers=headers)).status_code == 201
    forged, headers = signed(conversation_created(43), secret="not-the-secret")
    assert (await client.post(address, content=forged, headers=headers)).status_code == 401
    listing = await client.get("/admin/chat")
    assert "Website chat" in listing.text and re.search(r"<td>1</td>", listing.text)
    async with domain.sessionmaker() as session:
        actions = (
            await session.scalars(select(AuditRecord.action).where(AuditRecord.action.like("chat_%")))
        ).all()
    assert actions == ["chat_source.created"]


async def test_a_secret_in_the_address_and_a_transcript_secret_are_shown_once(client, domain, practices):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    made = await client.post("/admin/chat", data={**CHATWOOT, "url_secret": "on"}, headers=csrf)
    assert made.status_code == 201
    secret_url = re.search(r'id="secret">https?://[^/]+(/webhooks/chatwoot/[^<]+)<', made.text).group(1)
    body, headers = signed(conversation_created(), secret="unused")
    headers.pop("X-Chatwoot-Signature")
    assert (await client.post(secret_url, content=body, headers=headers)).status_code == 201
    assert (
        await client.post(secret_url.rsplit("/", 1)[0] + "/wrong", content=body, headers=headers)
    ).status_code == 401
    source_id = re.search(
        r'href="/admin/chat/([0-9a-f-]{36})"', (await client.get("/admin/chat")).text
    ).group(1)
    assert secret_url.rsplit("/", 1)[1] not in (await client.get(f"/admin/chat/{source_id}")).text

    bot = await client.post("/admin/chat", data={"name": "Bot", "kind": "transcript"}, headers=csrf)
    assert bot.status_code == 201
    secret = re.search(r'id="secret">(whsec_[^<]+)<', bot.text).group(1)
    bot_id = re.search(r"/webhooks/chat/(bot-[0-9a-f]{8})", bot.text).group(1)
    async with domain.sessionmaker() as session:
        stored = await session.scalar(select(ChatSource).where(ChatSource.key == bot_id))
    assert secret.encode() not in bytes(stored.signing_secret_enc)
    assert secret not in (await client.get(f"/admin/chat/{stored.id}")).text


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({}, "webhook_secret", "every delivery would be refused"),
        ({"webhook_secret": "s", "api_base_url": "https://chat.example"}, "account_id", "all three"),
        (
            {"webhook_secret": "s", "api_base_url": "ftp://chat", "account_id": "3", "api_token": "t"},
            "api_base_url",
            "https://",
        ),
        (
            {"webhook_secret": "s", "default_location_id": "not-an-office"},
            "default_location_id",
            "your offices",
        ),
    ],
)
async def test_what_is_refused_is_said_beside_its_field_and_nothing_is_stored(
    client, domain, practices, fields, field, words
):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    answer = await client.post("/admin/chat", data={**CHATWOOT, **fields}, headers=csrf)
    assert answer.status_code == 422
    message = re.search(rf'id="{field}-error"[^>]*>(.*?)</p>', answer.text, re.S)
    assert message is not None and words in message.group(1), answer.text[:3000]
    assert await sources(domain) == 0


async def test_only_a_practice_admin_of_the_practice_sees_its_chats(client, domain, practices):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    await client.post("/admin/chat", data={**CHATWOOT, "webhook_secret": "s"}, headers=csrf)
    source_id = re.search(
        r'href="/admin/chat/([0-9a-f-]{36})"', (await client.get("/admin/chat")).text
    ).group(1)
    await sign_in(client, domain, practices.user("ana@bright.example"))
    assert (await client.get("/admin/chat")).status_code == 403
    await sign_in(client, domain, practices.user("admin@other.example"))
    assert (await client.get(f"/admin/chat/{source_id}")).status_code == 404
    assert source_id not in (await client.get("/admin/chat")).text
