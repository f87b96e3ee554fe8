"""The attribution page: managers see the stored run's charts and tables; the front desk may not."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from leadrouter.demo import DEMO_PASSWORD, seed_demo
from leadrouter.history_seed import seed_history
from router.core.models import AttributionRun, Practice
from router.marketing.attribution_runs import execute_run, request_run
from tests.escalation.support import freeze
from tests.factories import csrf_of

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
MANAGER = "maya.manager@brightsmile.example"
FRONT_DESK = "ana.front@brightsmile.example"


async def login(client, email: str) -> None:
    from tests.factories import sign_in

    await sign_in(client, client.domain, email, DEMO_PASSWORD)


@pytest.fixture
async def practice(domain):
    freeze(domain, NOW)
    await seed_demo(domain)
    await seed_history(domain, "bright-smile", months=3)
    async with domain.sessionmaker() as session, session.begin():
        practice = await session.scalar(select(Practice).where(Practice.slug == "bright-smile"))
        run, _ = await request_run(session, practice.id, requested_by="nightly", now=NOW)
    await execute_run(domain, run.id)
    return practice


async def test_a_manager_sees_credit_side_by_side_roles_costs_budget_and_runs(client, domain, practice):
    await login(client, MANAGER)
    page = await client.get("/attribution")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Who gets the credit: last touch vs data-driven" in html and html.count("<svg") == 2
    assert "of bookings took 3 or more touchpoints" in html
    assert "Primary or contributing" in html and "physician referral" in html
    assert "Cost per booking" in html and "Where the budget would move" in html and "implied move" in html
    assert "Run now" in html and "nightly" in html
    assert "cdn" not in html.lower()


async def test_run_now_queues_one_run_and_an_earlier_run_can_be_viewed(client, domain, practice):
    await login(client, MANAGER)
    async with domain.sessionmaker() as session:
        earlier = await session.scalar(select(AttributionRun.id))
    token = await csrf_of(client)
    for _ in range(2):
        response = await client.post("/attribution/run", data={"_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/attribution"
    async with domain.sessionmaker() as session:
        queued = (
            await session.scalars(select(AttributionRun).where(AttributionRun.status == "queued"))
        ).all()
    assert len(queued) == 1  # pressing twice finds the pending run
    page = await client.get("/attribution")
    assert "A run is waiting for the worker" in page.text
    shown = await client.get(f"/attribution?run={earlier}")
    assert shown.status_code == 200 and "Run of 2026-03-04 14:00 CST" in shown.text
    missing = await client.post("/attribution/run", data={}, follow_redirects=False)
    assert missing.status_code == 403  # no CSRF token


async def test_front_desk_is_refused_and_strangers_sent_to_sign_in(client, domain, practice):
    assert (await client.get("/attribution", follow_redirects=False)).status_code in (302, 303)
    await login(client, FRONT_DESK)
    assert (await client.get("/attribution")).status_code == 403
    token = await csrf_of(client)
    assert (await client.post("/attribution/run", data={"_csrf_token": token})).status_code == 403


async def test_a_run_started_on_the_page_brings_its_results_when_done_and_counts_are_whole(
    client, domain, practice
):
    await login(client, MANAGER)
    token = await csrf_of(client)
    started = await client.post(
        "/attribution/run", data={"_csrf_token": token}, headers={"hx-request": "true"}
    )
    assert started.status_code == 200
    assert 'id="attribution-body"' in started.text and "<html" not in started.text
    run_id = re.search(r'hx-get="/attribution/body\?waiting=([0-9a-f-]{36})"', started.text).group(1)
    assert 'hx-trigger="every 3s"' in started.text
    still = await client.get(f"/attribution/body?waiting={run_id}")
    assert "A run is waiting for the worker" in still.text
    await execute_run(domain, uuid.UUID(run_id))
    done = await client.get(f"/attribution/body?waiting={run_id}")
    assert "The run you started is done" in done.text and "hx-trigger" not in done.text
    rows = re.findall(r"<tr><td>([A-Za-z ]+)</td><td>[0-9.]+</td>(.*?)</tr>", done.text, re.S)
    assert rows, done.text[:2000]
    for (
        _channel,
        cells,
    ) in rows:  # every model: data-driven, Shapley with one decimal; first and last touch whole
        values = re.findall(r"<td>([^<]*)</td>", cells)
        markov, shapley, first, last = values[0], values[1], values[2], values[3]
        assert re.fullmatch(r"[0-9,]+\.[0-9]", markov) and re.fullmatch(r"[0-9,]+\.[0-9]", shapley)
        assert re.fullmatch(r"[0-9,]+", first) and re.fullmatch(r"[0-9,]+", last)
    assert "so they show one decimal" in done.text
