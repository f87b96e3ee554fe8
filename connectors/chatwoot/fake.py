"""A local stand-in for Chatwoot's REST API (creating a message in a conversation), for tests and demos.

It checks the `api_access_token` header, answers in Chatwoot's message format and records every
request, so a test can read what the product asked Chatwoot to send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class FakeChatwoot:
    """Serve `POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages` locally."""

    api_token: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    """HTTP statuses to answer before any success (a Chatwoot outage, a revoked token)."""
    port: int = 0
    next_id: int = 9000
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeChatwoot:
        app = web.Application()
        app.router.add_post(
            "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages", self._create
        )
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _create(self, request: web.Request) -> web.Response:
        if request.headers.get("api_access_token") != self.api_token:
            return web.json_response(
                {"error": "You need to sign in or sign up before continuing."}, status=401
            )
        if self.failures:
            return web.json_response({"error": "Service unavailable"}, status=self.failures.pop(0))
        body = await request.json()
        self.next_id += 1
        record = {
            "account_id": int(request.match_info["account_id"]),
            "conversation_id": int(request.match_info["conversation_id"]),
            **body,
        }
        self.sent.append(record)
        return web.json_response(
            {
                "id": self.next_id,
                "content": body.get("content"),
                "message_type": 1,
                "content_type": "text",
                "private": bool(body.get("private")),
                "conversation_id": record["conversation_id"],
                "created_at": 1_764_870_000,
            }
        )
