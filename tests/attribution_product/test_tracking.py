"""The first-party script and its collection endpoint: CORS, PHI refused or stripped, rate limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from router.core.models import Touchpoint
from tests.attribution_product.support import SITE_ORIGIN, post_visit, practice_with_site, visit
from tests.escalation.support import freeze

pytestmark = pytest.mark.integration

VISITOR = "Vq3xYtq0R2ipl8Zz1aB3cd"


@pytest.fixture
async def practice(domain):
    return await practice_with_site(domain)


async def stored(domain) -> list[Touchpoint]:
    async with domain.sessionmaker() as session:
        return list((await session.scalars(select(Touchpoint).order_by(Touchpoint.occurred_at))).all())


async def test_the_script_is_served_small_and_first_party(client, domain):
    response = await client.get("/t.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert len(response.content) < 6000
    assert "/collect/" in response.text and "_lr_vid" in response.text
    assert "http://" not in response.text.replace("https://YOUR-LEADROUTER", "")  # no third-party host


async def test_a_landing_stores_one_anonymous_visit_and_later_pages_count_on_it(client, domain, practice):
    landing = (
        f"{SITE_ORIGIN}/implants?utm_source=google&utm_medium=cpc&gclid=Cj0KCQiAxyz&email=ana%40example.com"
    )
    response = await post_visit(
        client, visit(VISITOR, "visit0001", landing, referrer="https://www.google.com/search?q=x")
    )
    assert response.status_code == 204, response.text
    assert response.headers["access-control-allow-origin"] == SITE_ORIGIN
    second = await post_visit(client, visit(VISITOR, "visit0001", f"{SITE_ORIGIN}/contact"))
    assert second.status_code == 204
    [touchpoint] = await stored(domain)
    assert (touchpoint.kind, touchpoint.lead_id, touchpoint.visitor_id) == ("web_visit", None, VISITOR)
    assert touchpoint.channel == "google_ads" and touchpoint.gclid == "Cj0KCQiAxyz"
    assert touchpoint.landing_page == f"{SITE_ORIGIN}/implants"  # the query (and its email) never stored
    assert touchpoint.referrer == "https://www.google.com/"
    assert touchpoint.pages_visited == 2
    assert "ana" not in repr(touchpoint.details)


async def test_preflight_and_foreign_origins(client, domain, practice):
    preflight = await client.options("/collect/bright-site", headers={"origin": SITE_ORIGIN})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == SITE_ORIGIN
    foreign = await post_visit(
        client, visit(VISITOR, "visit0001", "https://evil.example/x"), origin="https://evil.example"
    )
    assert foreign.status_code == 403
    assert "access-control-allow-origin" not in foreign.headers
    unknown = await post_visit(client, visit(VISITOR, "visit0001", f"{SITE_ORIGIN}/"), key="nope")
    assert unknown.status_code == 404
    assert await stored(domain) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (visit(VISITOR, "visit0001", f"{SITE_ORIGIN}/thanks/ana.lopez@example.com"), "url"),
        (visit(VISITOR, "visit0001", f"{SITE_ORIGIN}/call/512-867-5309"), "url"),
        (visit(VISITOR, "visit0001", f"{SITE_ORIGIN}/", utm_content="ana@example.com"), "utm_content"),
        (visit(VISITOR, "visit0001", f"{SITE_ORIGIN}/?utm_term=%28512%29%20867-5309"), "utm_term"),
        (visit("short", "visit0001", f"{SITE_ORIGIN}/"), "visitor_id"),
        (visit(VISITOR, "visit0001", "javascript:alert(1)"), "url"),
        ({"visit_id": "visit0001", "url": f"{SITE_ORIGIN}/"}, "visitor_id"),
    ],
)
async def test_personal_data_and_bad_fields_are_refused_with_nothing_stored(
    client, domain, practice, body, field
):
    response = await post_visit(client, body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {error["field"] for error in response.json()["errors"]}
    assert response.headers["access-control-allow-origin"] == SITE_ORIGIN
    assert await stored(domain) == []


async def test_a_body_that_is_not_json_is_422(client, domain, practice):
    response = await client.post(
        "/collect/bright-site",
        content=b"not json",
        headers={"origin": SITE_ORIGIN, "content-type": "text/plain"},
    )
    assert response.status_code == 422


async def test_one_visitor_past_the_limit_gets_429_with_retry_after(client, domain, practice):
    from connectors.tracking.collect import PER_VISITOR

    freeze(domain, datetime(2026, 3, 4, 20, 0, 5, tzinfo=UTC))  # all requests in one counting window

    statuses = []
    for page in range(PER_VISITOR.requests + 1):
        response = await post_visit(client, visit(VISITOR, "visit0001", f"{SITE_ORIGIN}/page{page}"))
        statuses.append(response.status_code)
    assert statuses[:-1] == [204] * PER_VISITOR.requests
    assert statuses[-1] == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["content-type"].startswith("application/problem+json")
    other = await post_visit(client, visit("Another0Visitor00000001", "visit0002", f"{SITE_ORIGIN}/"))
    assert other.status_code == 204  # the limit is per visitor, not the whole site
