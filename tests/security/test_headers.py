"""Security headers on every answer, and templates that a strict script policy can serve."""

from __future__ import annotations

import re

import pytest

from web.paths import TEMPLATES_DIR


async def test_pages_and_api_answers_carry_the_security_headers(client):
    for path in ("/login", "/api/leads", "/healthz", "/schema/openapi.json"):
        answer = await client.get(path)
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert "camera=()" in answer.headers["permissions-policy"]
        assert answer.headers["cache-control"] == "no-store", path
        assert "strict-transport-security" not in answer.headers  # plain HTTP here; see the TLS test
    static = await client.get("/static/app.css")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"


async def test_hsts_is_sent_when_the_public_address_is_https(runtime, domain):
    import dataclasses

    import httpx

    from leadrouter.runtime import build_web_app

    intake = dataclasses.replace(domain.settings.intake, public_url="https://leads.example.com")
    settings = dataclasses.replace(domain.settings, intake=intake)
    saved = domain.settings
    domain.settings = settings
    try:
        app = build_web_app(runtime)
    finally:
        domain.settings = saved
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://internal"
    ) as client:
        answer = await client.get("/login")
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_the_api_documentation_loads_nothing_from_a_cdn(client):
    for path in ("/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/rapidoc"):
        answer = await client.get(path)
        assert answer.status_code == 404 or "cdn" not in answer.text.lower(), path
    assert (await client.get("/schema/openapi.json")).json()["info"]["title"] == "Lead Router"


@pytest.mark.unit
def test_no_template_carries_inline_script_style_or_event_handlers():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handlers = re.compile(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.IGNORECASE)
    offenders = []
    for template in sorted(TEMPLATES_DIR.glob("*.html")):
        text = template.read_text()
        if inline_script.search(text) or handlers.search(text) or "<style" in text or ' style="' in text:
            offenders.append(template.name)
    assert offenders == []


@pytest.mark.unit
def test_a_database_url_with_sslmode_becomes_asyncpg_tls_arguments():
    from router.core.db import tls_connect_args

    url, args = tls_connect_args("postgresql+asyncpg://app:pw@db.internal:5432/leads?sslmode=require")
    assert url == "postgresql+asyncpg://app:pw@db.internal:5432/leads" and args == {"ssl": "require"}
    assert tls_connect_args("postgresql+asyncpg://app@db/leads") == ("postgresql+asyncpg://app@db/leads", {})
    with pytest.raises(ValueError, match="sslmode must be one of"):
        tls_connect_args("postgresql+asyncpg://app@db/leads?sslmode=yes")
