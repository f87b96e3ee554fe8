"""Sign-in, sessions, CSRF, and what each user may see across practices and locations."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from router.core.clock import FrozenClock
from router.privacy.auth import resume_session
from tests.factories import PASSWORD, csrf_of, inquiry, make_practice, signed
from tests.fixtures.signin import login

pytestmark = pytest.mark.integration

OFFICES = {
    "north": {"zip": "78664", "latitude": 30.51, "longitude": -97.67},
    "south": {"zip": "78745", "latitude": 30.21, "longitude": -97.80},
}


async def deliver(client, practice, location: str, n: int) -> str:
    body = inquiry(
        first_name=f"P{n}",
        email=f"p{n}-{practice.practice.slug}@example.com",
        phone=None,
        sms_consent=None,
        location=location,
    )
    raw, headers = signed(body, practice.secret)
    response = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    assert response.status_code == 201
    return response.json()["lead_id"]


async def test_wrong_password_is_refused_and_right_one_sets_a_safe_cookie(client, domain):
    await make_practice(domain, staff={"desk@x.example": {}})
    await client.get("/login")
    token = client.cookies.get("csrftoken")
    bad = await client.post(
        "/login", data={"email": "desk@x.example", "password": "nope", "_csrf_token": token}
    )
    assert bad.status_code == 401 and "Wrong email or password" in bad.text
    good = await client.post(
        "/login", data={"email": "desk@x.example", "password": PASSWORD, "_csrf_token": token}
    )
    cookie = good.headers["set-cookie"].lower()
    assert "lr_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


async def test_forms_without_csrf_token_are_refused(client, domain):
    await make_practice(domain, staff={"desk@x.example": {}})
    response = await client.post("/login", data={"email": "desk@x.example", "password": PASSWORD})
    assert response.status_code == 403


async def test_api_without_session_is_401_problem(client, domain):
    response = await client.get("/api/leads")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_users_see_only_their_practice_and_locations(client, domain):
    bright = await make_practice(
        domain,
        slug="bright",
        locations=OFFICES,
        staff={
            "north@bright.example": {"locations": ["north"]},
            "manager@bright.example": {"role": "manager"},
        },
    )
    lakeside = await make_practice(
        domain, slug="lakeside", locations=OFFICES, staff={"desk@lake.example": {}}
    )
    north_lead = await deliver(client, bright, "north", 1)
    south_lead = await deliver(client, bright, "south", 2)
    other_lead = await deliver(client, lakeside, "north", 3)

    await login(client, "north@bright.example")
    assert {lead["id"] for lead in (await client.get("/api/leads")).json()["leads"]} == {north_lead}
    assert (await client.get(f"/api/leads/{south_lead}")).status_code == 404
    assert (await client.get(f"/api/leads/{other_lead}")).status_code == 404
    detail = (await client.get(f"/api/leads/{north_lead}")).json()
    assert detail["first_name"] == "P1" and detail["email"] == "p1-bright@example.com"

    client.cookies.clear()
    await login(client, "manager@bright.example")
    assert {lead["id"] for lead in (await client.get("/api/leads")).json()["leads"]} == {
        north_lead,
        south_lead,
    }


async def test_logout_ends_the_session(client, domain):
    await make_practice(domain, staff={"desk@x.example": {}})
    await login(client, "desk@x.example")
    assert (await client.get("/api/leads")).status_code == 200
    await client.post("/logout", headers={"x-csrftoken": await csrf_of(client)})
    session_token = client.cookies.get("lr_session")
    assert session_token is None or (await client.get("/api/leads")).status_code == 401


async def test_idle_and_absolute_timeouts(client, domain):
    await make_practice(domain, staff={"desk@x.example": {}})
    await login(client, "desk@x.example")
    token = client.cookies.get("lr_session")
    security = domain.settings.security
    start = domain.clock.now()

    async def alive_at(moment: datetime) -> bool:
        async with domain.sessionmaker() as session, session.begin():
            return await resume_session(session, token, settings=security, now=moment) is not None

    assert await alive_at(start + timedelta(minutes=security.session_idle_minutes - 1))
    # kept alive by activity every 20 minutes until the absolute limit
    moment = start
    while moment < start + timedelta(hours=security.session_absolute_hours) - timedelta(minutes=20):
        moment += timedelta(minutes=20)
        assert await alive_at(moment)
    assert not await alive_at(start + timedelta(hours=security.session_absolute_hours, minutes=1))
    clock = FrozenClock(moment + timedelta(minutes=security.session_idle_minutes + 1))
    assert not await alive_at(clock.now())
