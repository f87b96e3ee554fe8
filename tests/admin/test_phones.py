"""The phones screen: tracking numbers with channel and office, ring settings, the serving call center."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from router.core.models import CallCenter, CallCenterPractice, PracticePhoneSettings, TrackingNumber
from tests.admin.conftest import form_values, sign_in

pytestmark = pytest.mark.integration


async def test_a_tracking_number_is_added_with_its_channel_and_office_and_removed(client, domain, practices):
    lakeway = practices.bright.locations["lakeway"]
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    form = {
        "phone": "(512) 555-0101",
        "channel": "google_ads",
        "campaign": "Invisalign",
        "location_id": str(lakeway.id),
    }
    assert (await client.post("/admin/phones/numbers", data=form, headers=csrf)).status_code == 303
    page = await client.get("/admin/phones")
    assert "+15125550101" in page.text and "Google Ads" in page.text and "Lakeway Office" in page.text
    again = await client.post("/admin/phones/numbers", data=form | {"channel": "tv"}, headers=csrf)
    assert again.status_code == 422
    text = html.unescape(again.text)
    assert (
        "+15125550101 is already a tracking number." in text and "Choose where the number is printed." in text
    )
    async with domain.sessionmaker() as session:
        number = await session.scalar(select(TrackingNumber))
    assert (number.channel, number.location_id, number.campaign) == ("google_ads", lakeway.id, "Invisalign")
    removed = await client.post(f"/admin/phones/numbers/{number.id}/remove", headers=csrf)
    assert removed.status_code == 303
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(TrackingNumber)) is None


async def test_ring_settings_are_saved_and_a_recording_needs_its_notice(client, domain, practices):
    async with domain.sessionmaker() as session, session.begin():
        center = CallCenter(
            slug="answerline", name="AnswerLine", phone="+15125550150", time_zone="America/Chicago"
        )
        session.add(center)
        await session.flush()
        session.add(CallCenterPractice(call_center_id=center.id, practice_id=practices.bright.practice.id))
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    page = await client.get("/admin/phones")
    assert "AnswerLine" in page.text
    form = form_values(page.text)
    refused = await client.post(
        "/admin/phones/settings",
        data=form | {"records_calls": "1", "ring_timeout_seconds": "2"},
        headers=csrf,
    )
    assert refused.status_code == 422
    assert (
        "Callers must hear that the call is recorded" in refused.text and "between 5 and 120" in refused.text
    )
    saved = await client.post(
        "/admin/phones/settings",
        data=form
        | {"records_calls": "1", "consent_notice": "This call may be recorded.", "overflow_mode": "queue"},
        headers=csrf,
    )
    assert saved.status_code == 303
    async with domain.sessionmaker() as session:
        row = await session.get(PracticePhoneSettings, practices.bright.practice.id)
    assert (row.records_calls, row.overflow_mode, row.revision) == (True, "queue", 1)
    stale = await client.post(
        "/admin/phones/settings", data=form | {"ring_timeout_seconds": "30"}, headers=csrf
    )
    assert stale.status_code == 409 and "Phone settings: changed by Pat Admin at" in stale.text


async def test_managers_cannot_change_phones_and_other_practices_numbers_do_not_exist(
    client, domain, practices
):
    csrf = await sign_in(client, domain, practices.user("admin@other.example"))
    other_office = practices.other.locations["downtown"]
    await client.post(
        "/admin/phones/numbers",
        data={"phone": "(512) 555-0111", "channel": "google_ads", "location_id": str(other_office.id)},
        headers=csrf,
    )
    async with domain.sessionmaker() as session:
        foreign = await session.scalar(select(TrackingNumber))
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    assert (await client.post(f"/admin/phones/numbers/{foreign.id}/remove", headers=csrf)).status_code == 404
    refused = await client.post(
        "/admin/phones/numbers",
        data={"phone": "(512) 555-0112", "channel": "google_ads", "location_id": str(other_office.id)},
        headers=csrf,
    )
    assert refused.status_code == 422 and "Choose the office this number rings." in refused.text
    await sign_in(client, domain, practices.user("maya@bright.example"))
    assert (await client.get("/admin/phones")).status_code == 403
