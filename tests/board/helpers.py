"""Shared helpers of the board tests: a lead from a form inquiry, a board served by a hub, its messages,
a board over a real websocket, a signed-in board page and a module-scoped browser."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
import uuid
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect as websocket_connect

from realtime.connection import BoardConnection
from router.core.events import latest_event_id
from router.intake.pipeline import InquiryCommand, ingest_inquiry
from router.privacy.audit import Actor
from tests.factories import inquiry, signed
from tests.fixtures.browser import CHROMIUM_ARGS

FORM = Actor("integration", "form:test")


async def new_lead(domain: Any, practice: Any, **fields: Any) -> uuid.UUID:
    """Take in one web-form inquiry (unique phone and email unless given) and return its lead id."""
    n = uuid.uuid4().int % 9000 + 1000
    fields.setdefault("phone", f"(512) 555-{n:04d}")
    fields.setdefault("email", f"p{n}-{uuid.uuid4().hex[:6]}@example.com")
    body = inquiry(**fields)
    result = await ingest_inquiry(
        domain,
        InquiryCommand(
            practice_id=practice.practice.id,
            source_kind="form",
            fields=body,
            received_at=domain.clock.now(),
            actor=FORM,
            idempotency_scope="form:test",
            idempotency_key=uuid.uuid4().hex,
            request_sha256=hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest(),
        ),
    )
    assert result.lead_id is not None
    return result.lead_id


MARKER = re.compile(r'<output id="board-position"[^>]*>')


def marker_of(html: str) -> dict[str, str]:
    """The data attributes of a message's position marker."""
    tag = MARKER.search(html)
    assert tag, html
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag.group(0)))


class CollectingSocket:
    """Stands in for a websocket: keeps what is sent and how it was closed."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None

    async def send_text(self, text: str) -> None:
        self.sent.append(text)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def event_ids(self) -> list[int]:
        ids = []
        for message in self.sent:
            marker = marker_of(message)
            if marker.get("event-kind") not in ("heartbeat", "reset") and "last-event-id" in marker:
                ids.append(int(marker["last-event-id"]))
        return ids


async def until_true(page: Any, expression: str, within: float = 5.0) -> None:
    """Wait until a page expression is truthy, polling from outside the page.

    Playwright's wait_for_function compiles its predicate inside the page, which the pages' Content
    Security Policy (no eval) forbids; an evaluate from outside is not subject to it.
    """
    deadline = asyncio.get_running_loop().time() + within
    while not await page.evaluate(expression):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {within} s: {expression}")
        await asyncio.sleep(0.02)


def watch_policy_violations(page: Any) -> list[str]:
    """Collect the Content Security Policy violations a page reports in its console."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


async def until(predicate: Any, within: float = 5.0) -> None:
    """Wait until `predicate()` is true (a hub delivers on its own task)."""
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def connect(hub: Any, viewer: Any, after: int) -> tuple[CollectingSocket, BoardConnection, asyncio.Task[Any]]:
    """A board of `viewer` served by `hub` from position `after`: (its socket, the board, its task)."""
    socket = CollectingSocket()
    board = BoardConnection(
        viewer=viewer,
        after=after,
        send_text=socket.send_text,
        close=socket.close,
        session_key=f"session-of-{viewer.user_id}",
    )
    task = asyncio.create_task(hub.serve(board))
    return socket, board, task


async def current_position(domain: Any) -> int:
    """The newest committed event id."""
    async with domain.sessionmaker() as session:
        return await latest_event_id(session)


TWO_OFFICES = {
    "downtown": {"zip": "78701", "latitude": 30.27, "longitude": -97.74},
    "lakeway": {"zip": "78734", "latitude": 30.36, "longitude": -97.98},
}


async def signed_in_page(client, token):
    client.cookies.clear()
    client.cookies.set("lr_session", token)
    page = await client.get("/")
    assert page.status_code == 200, page.text
    csrf = re.search(r'"x-csrftoken": "([^"]+)"', page.text).group(1)
    return page, {"x-csrftoken": csrf}


def board_socket(ws_url, token, *, origin, after=0):
    return websocket_connect(
        f"{ws_url}?after={after}",
        origin=origin,
        additional_headers={"Cookie": f"lr_session={token}"},
        open_timeout=5,
        compression=None,
    )


async def next_lead_message(ws, within=5.0):
    """The next message that is not a heartbeat."""
    deadline = time.monotonic() + within
    while True:
        message = await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic()))
        if marker_of(message)["event-kind"] != "heartbeat":
            return message


async def post_inquiry(base_url, practice, **fields):
    raw, headers = signed(inquiry(**fields), practice.secret)
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{base_url}/webhooks/forms/{practice.form_key}", content=raw, headers=headers
        )
    assert response.status_code == 201, response.text
    return response.json()["lead_id"]


@pytest.fixture(scope="module")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        await browser.close()
