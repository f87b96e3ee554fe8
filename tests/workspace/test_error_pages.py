"""Errors a person meets in the browser are pages (what happened, a link home, the request id);
scripts and the API keep getting problem+json. Each role lands on its own start page."""

from __future__ import annotations

import httpx
import pytest
from litestar import get

from tests.factories import make_practice, open_staff_session
from web.app import create_app

pytestmark = pytest.mark.integration

PAGE = {"accept": "text/html,application/xhtml+xml"}


def _is_error_page(answer: httpx.Response, status: int) -> None:
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert 'href="/"' in answer.text and "Back to your start page" in answer.text
    assert answer.headers["x-request-id"] in answer.text  # the id to quote when reporting it


async def test_an_unknown_address_is_a_page_for_people_and_problem_json_for_scripts(client):
    _is_error_page(await client.get("/no-such-page", headers=PAGE), 404)
    api = await client.get("/no-such-page", headers={"accept": "application/json"})
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")


async def test_the_console_is_a_403_page_for_front_desk(client, domain):
    practice = await make_practice(domain, staff={"desk@bright.example": {}})
    client.cookies.set("lr_session", await open_staff_session(domain, practice.staff["desk@bright.example"]))
    answer = await client.get("/overflow", headers=PAGE)
    _is_error_page(answer, 403)
    assert "for overflow agents" in answer.text
    assert (await client.get("/overflow/console/queue")).status_code == 403


async def test_a_failure_of_ours_is_a_500_page_with_the_request_id(runtime, domain):
    @get("/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("a bug")

    app = create_app(runtime.domain, runtime.redis, route_handlers=[boom])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as test_client:
        _is_error_page(await test_client.get("/boom", headers=PAGE), 500)
        api = await test_client.get("/boom", headers={"accept": "application/json"})
        assert api.status_code == 500 and api.json()["request_id"] == api.headers["x-request-id"]


async def test_each_role_lands_on_its_own_start_page(client, domain):
    practice = await make_practice(
        domain, staff={"desk@bright.example": {}, "boss@bright.example": {"role": "manager"}}
    )
    for email in ("desk@bright.example", "boss@bright.example"):
        client.cookies.set("lr_session", await open_staff_session(domain, practice.staff[email]))
        assert (await client.get("/")).status_code == 200  # the board
    from router.privacy.auth import create_user

    async with domain.sessionmaker() as session, session.begin():
        doctor = await create_user(
            session,
            email="dr@clinic.example",
            display_name="Dr. Reyes",
            password="correct horse battery",
            role="physician",
        )
    client.cookies.set("lr_session", await open_staff_session(domain, doctor))
    landing = await client.get("/")
    assert landing.status_code in (302, 303) and landing.headers["location"] == "/referrals"
