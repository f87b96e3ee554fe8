"""Health endpoints, the OpenAPI document, and the 503 answer when PostgreSQL is gone."""

from __future__ import annotations

import socket
from dataclasses import replace

import httpx
import pytest

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
