"""`leadrouter chat-source create`: its printed address takes deliveries; one without a secret is refused."""

from __future__ import annotations

import asyncio
import re

import pytest
from click.testing import CliRunner

from leadrouter.cli import cli
from tests.chat.conftest import conversation_created, signed
from tests.factories import make_practice

pytestmark = pytest.mark.integration


def invoke(*args: str) -> CliRunner:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


async def test_a_url_secret_source_is_created_and_takes_deliveries_at_its_printed_address(client, domain):
    await make_practice(domain, slug="acme")
    refused = await asyncio.to_thread(invoke, "chat-source", "create", "acme", "acme-chat", "--name", "Chat")
    assert refused.exit_code == 1 and "needs --webhook-secret or --url-secret" in refused.output
    made = await asyncio.to_thread(
        invoke, "chat-source", "create", "acme", "acme-chat", "--name", "Chat", "--url-secret"
    )
    assert made.exit_code == 0, made.output
    printed = made.output.replace("\n", "")  # the console wraps long lines
    path = re.search(r"POST (/webhooks/chatwoot/acme-chat/[A-Za-z0-9_-]+)", printed).group(1)
    body, headers = signed(conversation_created(9))
    assert (await client.post(path, content=body, headers=headers)).status_code == 201
    assert (
        await client.post("/webhooks/chatwoot/acme-chat/guess", content=body, headers=headers)
    ).status_code == 401
