"""The offices screen: details and hours as a form, waiting leads' deadlines recomputed only after the
screen said how many, closures calendar, deactivation, and managers limited to their own offices."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from router.core.models import AuditRecord, DomainEvent, Lead, Location
from tests.admin.conftest import form_values, sign_in
from tests.board.helpers import new_lead
from tests.escalation.support import freeze

pytestmark = pytest.mark.integration

MONDAY_10_CHICAGO = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


async def test_new_hours_move_waiting_deadlines_only_after_the_screen_says_how_many(
    client, domain, practices
):
    freeze(domain, MONDAY_10_CHICAGO)
    bright = practices.bright
    downtown = bright.locations["downtown"]
    waiting = [await new_lead(domain, bright, location="downtown") for _ in range(2)]
    csrf = await sign_in(client, domain, practices.user("maya@bright.example"))
    page = await client.get(f"/admin/locations/{downtown.id}")
    assert page.status_code == 200 and "2 leads waiting for first contact here now" in page.text
    # Open 10:30 only from Monday: the leads that arrived at 10:00 get their deadline at 10:35.
    form = form_values(page.text)
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        form[f"hours-{day}-1-from"], form[f"hours-{day}-1-until"] = "10:30", "17:00"
    asked = await client.post(f"/admin/locations/{downtown.id}", data=form, headers=csrf)
    assert asked.status_code == 200
    assert (
        "This changes the deadline of 2 waiting leads" in asked.text
        and "Save and move 2 deadlines" in asked.text
    )
    async with domain.sessionmaker() as session:
        assert (await session.get(Location, downtown.id)).business_hours["mon"] == [["00:00", "24:00"]]

    saved = await client.post(f"/admin/locations/{downtown.id}", data=form | {"confirm": "2"}, headers=csrf)
    assert saved.status_code == 303
    assert "2 waiting lead(s) now have a new deadline" in (await client.get(saved.headers["location"])).text
    async with domain.sessionmaker() as session:
        leads = (await session.scalars(select(Lead).where(Lead.id.in_(waiting)))).all()
        events = (await session.scalars(select(DomainEvent.kind))).all()
        record = await session.scalar(select(AuditRecord).where(AuditRecord.action == "location.changed"))
    assert {lead.sla_due_at for lead in leads} == {datetime(2026, 3, 2, 16, 35, tzinfo=UTC)}
    assert events.count("lead.deadline_changed") == 2 and "practice.configured" in events
    assert record.details["deadlines_moved"] == 2
    assert record.details["changes"]["hours.mon"] == [[["00:00", "24:00"]], [["10:30", "17:00"]]]


async def test_a_bad_office_form_names_every_field_and_changes_nothing(client, domain, practices):
    downtown = practices.bright.locations["downtown"]
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    form = form_values((await client.get(f"/admin/locations/{downtown.id}")).text) | {
        "zip": "7870",
        "name": "",
        "hours-tue-1-from": "17:00",
        "hours-tue-1-until": "09:00",
    }
    answer = await client.post(f"/admin/locations/{downtown.id}", data=form, headers=csrf)
    assert answer.status_code == 422
    for words in (
        "Enter the ZIP code as 5 digits",
        "Enter the office's name",
        "Tuesday: 17:00 to 09:00 closes before it opens",
    ):
        assert words in html.unescape(answer.text)
    async with domain.sessionmaker() as session:
        location = await session.get(Location, downtown.id)
    assert location.zip == "78701" and location.revision == 1


async def test_a_closure_added_to_the_calendar_stops_the_clock_that_day(client, domain, practices):
    freeze(domain, MONDAY_10_CHICAGO)
    bright = practices.bright
    downtown = bright.locations["downtown"]
    lead_id = await new_lead(domain, bright, location="downtown")
    csrf = await sign_in(client, domain, practices.user("maya@bright.example"))
    added = await client.post(
        f"/admin/locations/{downtown.id}/closures",
        data={"closure_day": "2026-03-02", "closure_name": "Staff training"},
        headers=csrf,
    )
    assert added.status_code == 303
    page = await client.get(added.headers["location"])
    assert "1 waiting lead(s) now have a new deadline" in page.text and "Staff training" in page.text
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
    assert lead.sla_due_at == datetime(2026, 3, 3, 6, 5, tzinfo=UTC)  # Tuesday 00:05 in Chicago
    bad = await client.post(
        f"/admin/locations/{downtown.id}/closures", data={"closure_day": "soon"}, headers=csrf
    )
    assert bad.status_code == 422 and "Enter the date of the closure" in bad.text


async def test_an_office_is_added_and_closed_by_a_practice_admin_and_takes_no_new_leads(
    client, domain, practices
):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    added = await client.post(
        "/admin/locations",
        data={"name": "Round Rock Office", "zip": "78664", "time_zone": "America/Chicago", "state": "tx"},
        headers=csrf,
    )
    assert added.status_code == 303, added.text
    location_id = added.headers["location"].split("/")[-1].split("?")[0]
    closed = await client.post(f"/admin/locations/{location_id}/active", data={"active": "0"}, headers=csrf)
    assert closed.status_code == 303
    async with domain.sessionmaker() as session:
        location = await session.get(Location, location_id)
    assert location.slug == "round-rock-office" and location.state == "TX" and not location.is_active
    from router.intake.practice_view import load_practice

    view = await load_practice(domain, practices.bright.practice.id)
    assert location.id not in {loc.id for loc in view.locations}


async def test_managers_reach_only_their_own_offices_and_never_another_practices(client, domain, practices):
    csrf = await sign_in(client, domain, practices.user("maya@bright.example"))
    lakeway = practices.bright.locations["lakeway"]
    foreign = practices.other.locations["downtown"]
    listing = await client.get("/admin/locations")
    assert "Downtown Office" in listing.text and "Lakeway Office" not in listing.text
    assert (await client.get(f"/admin/locations/{lakeway.id}")).status_code == 404
    assert (await client.get(f"/admin/locations/{foreign.id}")).status_code == 404
    refused = await client.post(
        f"/admin/locations/{foreign.id}/closures", data={"closure_day": "2026-12-25"}, headers=csrf
    )
    assert refused.status_code == 404
    assert (
        await client.post(f"/admin/locations/{lakeway.id}/active", data={"active": "0"}, headers=csrf)
    ).status_code == 403
    admin = await sign_in(client, domain, practices.user("admin@bright.example"))
    assert (await client.get(f"/admin/locations/{foreign.id}")).status_code == 404
    assert admin
