"""A local stand-in for Twilio's REST API (Messages and Calls), for tests and the offline demo.

It speaks the request and answer formats the twilio client uses for the calls we make, checks
Basic auth, and records every request so a test can read what the product asked Twilio to do.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class FakeRequest:
    """One REST call the product made."""

    method: str
    path: str
    form: dict[str, list[str]]
    account_sid: str | None

    def value(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None


@dataclass
class FakeTwilio:
    """Serve `/2010-04-01/Accounts/{sid}/Messages.json` and `/Calls.json` on a free local port."""

    account_sid: str
    auth_token: str
    requests: list[FakeRequest] = field(default_factory=list)
    failures: list[tuple[int, int, str]] = field(default_factory=list)
    """Queued error answers (HTTP status, Twilio error code, message), used before any success."""
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(
        self, *, status: int = 400, code: int = 21610, message: str = "unsubscribed recipient"
    ) -> None:
        self.failures.append((status, code, message))

    def made(self, resource: str) -> list[FakeRequest]:
        """The requests that created `Messages` or `Calls`."""
        return [r for r in self.requests if r.path.endswith(f"/{resource}.json")]

    async def start(self) -> FakeTwilio:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/{resource}.json", self._create)
        app.router.add_get("/2010-04-01/Accounts/{sid}/Recordings/{recording}.mp3", self._recording)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user == self.account_sid and password == self.auth_token

    async def _create(self, request: web.Request) -> web.Response:
        form = await request.post()
        record = FakeRequest(
            method=request.method,
            path=request.path,
            form={key: [str(v) for v in form.getall(key)] for key in set(form.keys())},
            account_sid=request.match_info["sid"],
        )
        self.requests.append(record)
        if not self._authorized(request) or record.account_sid != self.account_sid:
            return self._error(401, 20003, "Authenticate")
        if self.failures:
            return self._error(*self.failures.pop(0))
        resource = request.match_info["resource"]
        prefix = "SM" if resource == "Messages" else "CA"
        body: dict[str, Any] = {
            "sid": prefix + secrets.token_hex(16),
            "account_sid": self.account_sid,
            "to": record.value("To"),
            "from": record.value("From"),
            "status": "queued",
            "api_version": "2010-04-01",
            "uri": f"{request.path[:-5]}/x.json",
        }
        if resource == "Messages":
            body["body"] = record.value("Body")
        return web.json_response(body, status=201)

    async def _recording(self, request: web.Request) -> web.Response:
        """A recording's audio: a few bytes that stand for the MP3 (its sid in them, so tests can tell)."""
        self.requests.append(FakeRequest(request.method, request.path, {}, request.match_info["sid"]))
        if not self._authorized(request) or request.match_info["sid"] != self.account_sid:
            return self._error(401, 20003, "Authenticate")
        recording = request.match_info["recording"]
        return web.Response(body=b"ID3" + recording.encode(), content_type="audio/mpeg")

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return web.json_response(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status=status,
        )
