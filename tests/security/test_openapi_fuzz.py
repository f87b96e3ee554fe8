"""Schemathesis against the OpenAPI document: generated requests never get a 5xx or an undocumented status.

Generated webhook bodies are signed with the form source's real secret (a hook), so generation
reaches validation and the intake instead of stopping at 401; API calls carry a signed-in session.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from connectors.forms.signature import sign_delivery
from router.core.clock import Clock
from tests.attribution_product.support import SITE_KEY, SITE_ORIGIN, practice_with_site
from tests.factories import open_staff_session

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.fuzz]

EXAMPLES_PER_OPERATION = 50


@pytest.fixture
async def target(domain, live_server):
    """The live app, a practice with a form source and a tracking site, and a signed-in manager."""
    practice = await practice_with_site(domain)
    token = await open_staff_session(domain, practice.staff["boss@bright.example"])
    return live_server, practice, token


@pytest.fixture
def api_schema(target):
    live_server, _, _ = target
    document = httpx.get(f"{live_server.url}/schema/openapi.json").json()
    return schemathesis.openapi.from_dict(document)


schema = schemathesis.pytest.from_fixture("api_schema")


def _request(case, target) -> httpx.Request:
    """The generated request as the real sender would make it: signed, from the site, signed in."""
    live_server, practice, token = target
    path = case.formatted_path
    headers = {key: str(value) for key, value in (case.headers or {}).items()}
    body = case.body if isinstance(case.body, dict | list | str | int | float | bool) else None
    if path.startswith("/webhooks/forms/"):
        path = f"/webhooks/forms/{practice.form_key}"
        if case.media_type == "application/x-www-form-urlencoded" and isinstance(body, dict):
            raw = urlencode({k: "" if v is None else v for k, v in body.items()}).encode()
        else:
            raw = b"" if body is None else json.dumps(body).encode()
        headers |= sign_delivery(
            raw, secret=practice.secret, webhook_id=f"msg_{uuid.uuid4().hex}", at=Clock().now()
        )
        headers["content-type"] = case.media_type or "application/json"
        return httpx.Request(case.method, live_server.url + path, content=raw, headers=headers)
    if path.startswith("/collect/"):
        path = f"/collect/{SITE_KEY}"
        headers |= {"origin": SITE_ORIGIN, "content-type": "text/plain"}
        return httpx.Request(case.method, live_server.url + path, content=json.dumps(body), headers=headers)
    return httpx.Request(
        case.method,
        live_server.url + path,
        params=case.query,
        headers=headers,
        cookies={"lr_session": token},
    )


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_generated_request_gets_a_5xx_or_an_undocumented_status(case, target):
    with httpx.Client(timeout=10) as client:
        response = client.send(_request(case, target))
    if case.method.upper() != case.operation.method.upper():  # schemathesis also tries other methods
        allowed = 204 if case.method.upper() == "OPTIONS" else 405  # Litestar answers OPTIONS itself
        assert response.status_code == allowed, (case.method, case.formatted_path, response.status_code)
        return
    assert response.status_code < 500, (
        case.method,
        case.formatted_path,
        response.status_code,
        response.text[:300],
    )
    documented = {str(code) for code in case.operation.definition.raw.get("responses", {})}
    assert str(response.status_code) in documented, (
        case.method,
        case.formatted_path,
        response.status_code,
        response.text[:300],
    )
