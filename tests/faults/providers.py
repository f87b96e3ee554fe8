"""The fault world's Twilio and mail server: the local test servers, able to hold their answers.

Holding is the dangerous moment of every send: the provider has taken the message (it is counted
here) and its answer has not reached the worker yet. Killing the worker then is "killed mid-send".
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller

from connectors.twilio.fake import FakeTwilio
from tests.escalation.support import Mailbox
from tests.fixtures.live import free_port

ACCOUNT_SID = "AC" + "0" * 31 + "f"
AUTH_TOKEN = "faults-test-token-0123456789abcdef"
HOLD_SECONDS = 8.0
"""The longest an answer is held: below the 10 s both clients wait, so a send is never timed out."""


class Holding:
    """A switch both servers read: while on, an accepted message's answer waits."""

    def __init__(self) -> None:
        self.on = False
        self.held: list[str] = []
        """The recipient of each message taken and not yet answered."""

    async def wait(self, recipient: str) -> None:
        if not self.on:
            return
        self.held.append(recipient)
        try:
            deadline = time.monotonic() + HOLD_SECONDS
            while self.on and time.monotonic() < deadline:  # noqa: ASYNC110 (read across threads)
                await asyncio.sleep(0.01)
        finally:
            self.held.remove(recipient)


class HeldTwilio(FakeTwilio):
    """The local Twilio: records every message it takes, then answers (or holds the answer)."""

    holding: Holding

    async def _create(self, request: web.Request) -> web.Response:
        answer = await super()._create(request)
        if answer.status == 201 and self.requests[-1:]:
            await self.holding.wait(self.requests[-1].value("To") or "")
        return answer

    def messages(self) -> list[tuple[str, str]]:
        """(to, body) of every text it took."""
        return [(m["to"], m.get("body") or "") for m in self.created if m["_resource"] == "Messages"]


class HeldMailbox(Mailbox):
    """The local mail server's mailbox: every message is stored, then answered (or held)."""

    def __init__(self, holding: Holding) -> None:
        super().__init__()
        self.holding = holding

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        await self.holding.wait(",".join(envelope.rcpt_tos))
        return answer

    def mails(self) -> list[tuple[str, str]]:
        """(recipient, subject and plain text) of every message it took, once per recipient."""
        taken = []
        for _, recipients, message in self.messages:
            plain = message.get_body(("plain",))
            content = f"{message['Subject']}\n{plain.get_content() if plain is not None else ''}"
            taken += [(recipient, content) for recipient in recipients]
        return taken


async def start_providers() -> tuple[HeldTwilio, Controller, HeldMailbox, Holding]:
    holding = Holding()
    twilio = HeldTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    twilio.holding = holding
    await twilio.start()
    mailbox = HeldMailbox(holding)
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    return twilio, smtp, mailbox, holding
