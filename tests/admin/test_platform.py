"""The platform operator's screens: practices with their first office and admin, call centers with
their agents and the practices each serves; nobody else reaches them."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from router.core.models import CallCenter, CallCenterPractice, Location, Practice, StaffUser
from router.privacy.auth import create_user
from tests.admin.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.integration


@pytest.fixture
async def operator(domain):
    async with domain.sessionmaker() as session, session.begin():
        return await create_user(
            session,
            email="olivia@ops.example",
            display_name="Olivia",
            password=PASSWORD,
            role="platform_operator",
        )


async def test_a_practice_is_added_with_its_first_office_and_invited_admin(
    client, domain, practices, operator
):
    csrf = await sign_in(client, domain, operator)
    listing = await client.get("/admin/practices")
    assert "Bright Dental" in listing.text and "Pat Admin" in listing.text
    bad = await client.post(
        "/admin/practices", data={"name": "", "time_zone": "Mars/Base", "office_zip": "1"}, headers=csrf
    )
    assert bad.status_code == 422
    for words in (
        "Enter the practice's name.",
        "Choose the practice's time zone.",
        "ZIP code as 5 digits",
        "Enter the practice admin's email.",
    ):
        assert words in html.unescape(bad.text)
    form = {
        "name": "Lone Star Ortho",
        "time_zone": "America/Chicago",
        "office_name": "Main Office",
        "office_zip": "78704",
        "admin_name": "Lena Star",
        "admin_email": "lena@lonestar.example",
    }
    added = await client.post("/admin/practices", data=form, headers=csrf)
    assert added.status_code == 201 and "Lena Star is invited as its practice admin" in added.text
    async with domain.sessionmaker() as session:
        practice = await session.scalar(select(Practice).where(Practice.name == "Lone Star Ortho"))
        office = await session.scalar(select(Location).where(Location.practice_id == practice.id))
        admin = await session.scalar(select(StaffUser).where(StaffUser.email == "lena@lonestar.example"))
    assert practice.slug == "lone-star-ortho" and office.zip == "78704"
    assert (admin.role, admin.practice_id) == ("practice_admin", practice.id)


async def test_a_call_center_serves_chosen_practices_and_its_agents_are_invited(
    client, domain, practices, operator
):
    csrf = await sign_in(client, domain, operator)
    made = await client.post(
        "/admin/call-centers",
        data={"name": "AnswerLine", "phone": "(512) 555-0150", "time_zone": "America/Chicago"},
        headers=csrf,
    )
    assert made.status_code == 303
    async with domain.sessionmaker() as session:
        center = await session.scalar(select(CallCenter))
    bright = str(practices.bright.practice.id)
    saved = await client.post(
        f"/admin/call-centers/{center.id}/practices", data={"practices": [bright]}, headers=csrf
    )
    assert saved.status_code == 200 and "it serves 1 practice." in saved.text
    agent = await client.post(
        f"/admin/call-centers/{center.id}/agents",
        data={"display_name": "Hana Ito", "email": "hana@answerline.example"},
        headers=csrf,
    )
    assert agent.status_code == 200 and "Hana Ito is invited" in agent.text
    dup = await client.post(
        f"/admin/call-centers/{center.id}/agents",
        data={"display_name": "Hana", "email": "hana@answerline.example"},
        headers=csrf,
    )
    assert dup.status_code == 422 and "already has an account" in dup.text
    async with domain.sessionmaker() as session:
        served = (await session.scalars(select(CallCenterPractice.practice_id))).all()
        hana = await session.scalar(select(StaffUser).where(StaffUser.email == "hana@answerline.example"))
    assert served == [practices.bright.practice.id] and (hana.role, hana.call_center_id) == (
        "overflow_agent",
        center.id,
    )
    off = await client.post(f"/admin/agents/{hana.id}/active", data={"active": "0"}, headers=csrf)
    assert "Hana Ito is deactivated" in off.text


async def test_practice_staff_cannot_reach_the_operators_screens(client, domain, practices):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    assert (await client.get("/admin/practices")).status_code == 403
    assert (await client.get("/admin/call-centers")).status_code == 403
    assert (await client.post("/admin/call-centers", data={"name": "X"}, headers=csrf)).status_code == 403
