"""Outcome reports and monthly summaries (emails without patient data), scorecards, invitations."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from router.core.models import (
    Appointment,
    FunnelEvent,
    Lead,
    PatientValue,
    Provider,
    Referral,
    ReferralReport,
    StaffUser,
)
from router.referrals.outcomes import send_monthly_summaries, send_outcome_reports
from tests.factories import csrf_of, open_staff_session
from tests.referrals.helpers import as_person, destination_of, referral_form, send

pytestmark = pytest.mark.integration


async def refer(client, domain, referral_world, who="house@hill.example", **overrides):  # type: ignore[no-untyped-def]
    token = await as_person(client, domain, referral_world.person(who))
    page = (await client.get("/referrals/new")).text
    destination = destination_of(page, "Bright Dental: any office")
    answer = await send(client, token, referral_form(destination, **overrides))
    assert answer.status_code == 303, answer.text[:400]
    async with domain.sessionmaker() as session:
        return await session.scalar(select(Referral).order_by(Referral.submitted_at.desc()).limit(1))


async def reach(domain, lead_id, *stages):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session, session.begin():
        lead = await session.get(Lead, lead_id)
        for stage in stages:
            session.add(
                FunnelEvent(
                    practice_id=lead.practice_id, lead_id=lead_id, stage=stage, occurred_at=domain.clock.now()
                )
            )
        lead.stage = stages[-1]


async def test_seen_and_treatment_are_reported_once_by_email_without_patient_data(
    client, mailing_domain, referral_world
):
    domain, mailbox = mailing_domain
    referral = await refer(client, domain, referral_world)
    assert await send_outcome_reports(domain) == {"reports": 0}
    async with domain.sessionmaker() as session, session.begin():
        lead = await session.get(Lead, referral.lead_id)
        provider = await session.scalar(select(Provider).where(Provider.practice_id == lead.practice_id))
        session.add(
            Appointment(
                practice_id=lead.practice_id,
                lead_id=lead.id,
                location_id=lead.location_id,
                starts_at=domain.clock.now(),
                provider_id=provider.id,
                source="board",
            )
        )
    await reach(domain, referral.lead_id, "appointment_scheduled", "appointment_completed")
    assert await send_outcome_reports(domain) == {"reports": 1}
    assert await send_outcome_reports(domain) == {"reports": 0}  # once per stage
    [(_, to, message)] = mailbox.messages
    assert to == ["house@hill.example"]
    body = message.get_content()
    assert "seen" in body and f"/referrals#referral-{referral.id}" in body
    assert "Rosa" not in body and "Quintero" not in body and "Crossbite" not in body
    await reach(domain, referral.lead_id, "treatment_accepted")
    assert await send_outcome_reports(domain) == {"reports": 1}
    async with domain.sessionmaker() as session:
        stages = set((await session.scalars(select(ReferralReport.stage))).all())
        notified = (await session.scalars(select(ReferralReport.notified))).all()
    assert stages == {"appointment_completed", "treatment_accepted"}
    assert all(n == [{"user_id": str(referral.referring_physician_id), "status": "sent"}] for n in notified)
    listed = await client.get("/referrals/list")  # still signed in as the physician
    assert "Outcome report" in listed.text and "Treatment accepted" in listed.text
    assert "by Dr. Maria Chen" in listed.text


async def test_the_monthly_summary_counts_each_practice_without_patient_data(
    client, mailing_domain, referral_world
):
    domain, mailbox = mailing_domain
    referral = await refer(client, domain, referral_world)
    await reach(domain, referral.lead_id, "appointment_completed")
    now = domain.clock.now()
    result = await send_monthly_summaries(
        domain, start=now - timedelta(days=30), end=now + timedelta(minutes=1)
    )
    assert result == {"emails": 3}  # the Hill office's three people; the Lake office sent nothing
    bodies = {to[0]: message.get_content() for _, to, message in mailbox.messages}
    assert set(bodies) == {"house@hill.example", "wilson@hill.example", "frank@hill.example"}
    assert "Bright Dental: 1 sent, 0 contacted, 1 seen, 0 accepted treatment" in bodies["frank@hill.example"]
    assert "Rosa" not in bodies["frank@hill.example"]


async def test_scorecards_count_each_physicians_referrals_for_managers_only(client, domain, referral_world):
    first = await refer(client, domain, referral_world)
    await refer(
        client, domain, referral_world, phone="(512) 555-0199", email="b@example.com", first_name="Bo"
    )
    await refer(
        client, domain, referral_world, "cuddy@lake.example", phone="(512) 555-0177", email="c@example.com"
    )
    await reach(domain, first.lead_id, "appointment_completed", "treatment_accepted")
    async with domain.sessionmaker() as session, session.begin():
        lead = await session.get(Lead, first.lead_id)
        session.add(
            PatientValue(
                lead_id=lead.id,
                practice_id=lead.practice_id,
                value=4200.0,
                source="staff",
                recorded_at=domain.clock.now(),
            )
        )
        await session.execute(
            update(Lead)
            .where(Lead.id == first.lead_id)
            .values(first_contact_at=domain.clock.now(), first_contact_business_seconds=180)
        )
    await as_person(client, domain, referral_world.person("maya@bright.example"))
    page = await client.get("/referrers")
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>(.*?)</tr>", page.text, re.S)
    house = next(r for r in rows if "Dr. House" in r)
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "|", house)).count("|2|") == 1  # two referrals
    assert "3.0 min" in house and "1 (50%)" in house and "4,200" in house
    assert any("Lake Family Medicine" in r for r in rows)
    assert "Rosa" not in page.text  # aggregates only
    await as_person(client, domain, referral_world.person("desk@bright.example"))
    assert (await client.get("/referrers")).status_code == 403


async def test_inviting_a_physician_and_connecting_one_who_already_has_a_login(
    client, domain, referral_world
):
    client.cookies.set(
        "lr_session", await open_staff_session(domain, referral_world.person("desk@north.example"))
    )
    manager = referral_world.person("maya@bright.example")
    await as_person(client, domain, manager)
    token = await csrf_of(client)
    new = await client.post(
        "/referrers/invite",
        data={
            "_csrf_token": token,
            "display_name": "Dr. Chase",
            "email": "chase@lake2.example",
            "role": "physician",
            "office_id": "new",
            "office_name": "Riverside Clinic",
        },
    )
    assert new.status_code == 200 and "Dr. Chase is invited" in new.text and "Riverside Clinic" in new.text
    taken = await client.post(
        "/referrers/invite",
        data={
            "_csrf_token": token,
            "display_name": "Ana",
            "email": "desk@north.example",
            "role": "physician",
            "office_id": "new",
            "office_name": "X",
        },
    )
    assert taken.status_code == 422 and "not a referrer" in taken.text
    # North Dental invites Dr. House, who refers to it already through Bright's invitation: one login.
    north_admin = referral_world.person("desk@north.example")
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(StaffUser).where(StaffUser.id == north_admin.id).values(role="manager"))
    await as_person(client, domain, north_admin)
    again = await client.post(
        "/referrers/invite",
        data={
            "_csrf_token": await csrf_of(client),
            "display_name": "Gregory House",
            "email": "house@hill.example",
            "role": "physician",
            "office_id": "new",
            "office_name": "",
        },
    )
    assert again.status_code == 200 and "already had a login" in again.text, again.text[:500]
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count()).where(StaffUser.email == "house@hill.example")) == 1
        chase = await session.scalar(select(StaffUser).where(StaffUser.email == "chase@lake2.example"))
    assert chase.role == "physician" and chase.practice_id is None and chase.referring_office_id is not None
