"""What senders hear when PostgreSQL fails: 503 problem+json with Retry-After, never a bare 500, and
"may have been stored" whenever the store may have committed. Every failure is logged with the
request id, without PHI."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import httpx
import pytest
from litestar import get
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from leadrouter.runtime import build_runtime, build_web_app
from router.core.db import make_sessionmaker
from router.core.events import EVENT_ORDER_LOCK_KEY
from router.core.models import Lead
from tests.factories import inquiry, make_practice, signed
from tests.intake.helpers import NOTHING, stored_counts
from tests.tcp_gate import TcpGate

pytestmark = [pytest.mark.integration, pytest.mark.faults]


@pytest.fixture
def web_log():
    """What the web layer logged (Litestar reconfigures the root logger when an app is built, so
    pytest's caplog does not see it)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("leadrouter.web")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def client_of(app):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_read_only_database_answers_503_and_stores_nothing(settings, domain, web_log):
    practice = await make_practice(domain)
    runtime = build_runtime(settings)
    # What a standby (or a primary turned read-only for maintenance) answers every write with.
    read_only = create_async_engine(
        settings.database.url,
        connect_args={"server_settings": {"default_transaction_read_only": "on"}},
    )
    runtime.domain.sessionmaker = make_sessionmaker(read_only)
    raw, headers = signed(inquiry(), practice.secret)
    try:
        async with client_of(build_web_app(runtime)) as client:
            answer = await client.post(
                f"/webhooks/forms/{practice.form_key}",
                content=raw,
                headers={**headers, "X-Request-ID": "sender-req-42"},
            )
    finally:
        await read_only.dispose()
        await runtime.close()
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["x-request-id"] == "sender-req-42"
    assert "nothing was stored" in answer.json()["detail"]
    [logged] = web_log
    assert "sender-req-42" in logged.getMessage() and "25006" in logged.getMessage()
    assert await stored_counts(domain) == NOTHING


async def _wait_for_write_blocked_on_the_event_lock(domain) -> None:
    for _ in range(200):
        async with domain.sessionmaker() as session:
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event = 'advisory' AND query LIKE '%lock_person_for_intake%'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the webhook's write never reached the event-order lock")


async def test_an_answer_lost_after_the_commit_says_may_have_been_stored_and_the_retry_replays(
    settings, domain
):
    practice = await make_practice(domain)
    url = make_url(settings.database.url)
    gate = TcpGate(url.host or "127.0.0.1", url.port or 5432)
    gated = url.set(host="127.0.0.1", port=gate.port).render_as_string(hide_password=False)
    runtime = build_runtime(replace(settings, database=replace(settings.database, url=gated)))
    raw, headers = signed(inquiry(), practice.secret)
    try:
        async with client_of(build_web_app(runtime)) as client:
            # Hold the event-order lock so the webhook's write waits inside PostgreSQL; then let it
            # commit while its answer is held back, and break the connection: stored, unanswered.
            async with domain.sessionmaker() as session, session.begin():
                await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVENT_ORDER_LOCK_KEY})
                sending = asyncio.create_task(
                    client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
                )
                await _wait_for_write_blocked_on_the_event_lock(domain)
                gate.hold_answers()
            for _ in range(200):
                if (await stored_counts(domain))["leads"] == 1:
                    break
                await asyncio.sleep(0.02)
            gate.cut()
            answer = await sending
            assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
            assert "may have been stored" in answer.json()["detail"]
            assert "same webhook-id" in answer.json()["detail"]
            assert answer.headers["x-request-id"]

            gate.restore()
            retry = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    finally:
        await runtime.close()
        gate.close()
    assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true"
    async with domain.sessionmaker() as session:
        assert [str(i) for i in (await session.scalars(select(Lead.id))).all()] == [retry.json()["lead_id"]]


@get("/test-only/boom", sync_to_thread=False)
def boom() -> None:
    raise RuntimeError("patient Ana Lopez 512-867-5309 could not be shown")


async def test_an_unhandled_error_is_a_500_logged_once_with_the_request_id_and_no_phi(
    runtime, domain, web_log
):
    from web.app import create_app

    app = create_app(runtime.domain, runtime.redis, route_handlers=[boom])
    async with client_of(app) as client:
        answer = await client.get("/test-only/boom", headers={"X-Request-ID": "abc-123"})
        forged = await client.get("/healthz", headers={"X-Request-ID": "x\r\nINFO fake line" + "y" * 200})
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["x-request-id"] == "abc-123" and answer.json()["request_id"] == "abc-123"
    errors = [r for r in web_log if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    logged = errors[0].getMessage()
    assert "abc-123" in logged and "RuntimeError" in logged and "boom" in logged
    for phi in ("Ana", "Lopez", "867-5309"):
        assert phi not in logged
    assert len(forged.headers["x-request-id"]) == 32 and "\n" not in forged.headers["x-request-id"]
