"""Shared helpers of the board tests: a lead from a form inquiry, a board served by a hub, its messages."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from typing import Any

from realtime.connection import BoardConnection
from router.core.events import latest_event_id
from router.intake.pipeline import InquiryCommand, ingest_inquiry
from router.privacy.audit import Actor
from tests.factories import inquiry

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
