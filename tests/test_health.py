"""Health endpoints, the OpenAPI document, and the 503 answer when PostgreSQL is gone."""

from __future__ import annotations

import asyncio
import socket
import uuid
from dataclasses import replace

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from leadrouter.runtime import build_runtime, build_web_app
from tests.factories import inquiry, make_practice, signed
from tests.intake.helpers import stored_counts

pytestmark = pytest.mark.integration


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_liveness_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"postgresql": "ok", "redis": "ok"}


async def test_openapi_describes_the_webhook_and_the_api(client):
    document = (await client.get("/schema/openapi.json")).json()
    assert "/webhooks/forms/{source_key}" in document["paths"]
    assert "/api/leads" in document["paths"] and "/healthz" in document["paths"]


async def test_unreachable_database_is_503_with_retry_after_and_readyz_says_so(settings, domain):
    practice = await make_practice(domain)
    port = closed_port()
    broken = replace(
        settings, database=replace(settings.database, url=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x")
    )
    runtime = build_runtime(broken)
    app = build_web_app(runtime)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            raw, headers = signed(inquiry(), practice.secret)
            response = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
            assert response.status_code == 503
            assert response.headers["retry-after"] == "5"
            assert response.headers["content-type"].startswith("application/problem+json")
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["redis"] == "ok"
    finally:
        await runtime.close()
    assert (await stored_counts(domain))["leads"] == 0


async def test_after_postgresql_drops_every_connection_one_webhook_gets_503_and_the_next_is_stored(
    client, domain
):
    practice = await make_practice(domain)
    assert (await post_inquiry(client, practice)).status_code == 201  # the pool now holds connections
    # What a PostgreSQL restart does to the pool's idle connections, from a connection of its own.
    dsn = make_url(domain.settings.database.url).set(drivername="postgresql")
    outsider = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await outsider.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await outsider.close()
    await asyncio.sleep(0.2)
    first = await post_inquiry(client, practice)
    assert first.status_code == 503 and first.headers["retry-after"] == "5"
    assert (await post_inquiry(client, practice)).status_code == 201
    assert (await stored_counts(domain))["leads"] == 2


async def post_inquiry(client, practice):
    raw, headers = signed(
        inquiry(email=f"{uuid.uuid4().hex[:8]}@example.com", phone=None, sms_consent=None), practice.secret
    )
    return await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
