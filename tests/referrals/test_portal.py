"""The referral portal: a physician refers a patient, the lead reaches the board, status follows it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from router.core.models import Lead, Referral, ReferralAttachment
from router.core.phi_columns import REFERRAL_FILE, REFERRAL_REASON
from router.leads.actions import log_contact_made
from router.privacy.audit import Actor
from tests.factories import sign_in, viewer_of
from tests.fixtures.referrers import EICAR, PDF, PNG
from tests.referrals.helpers import as_person, destination_of, referral_form, send

pytestmark = pytest.mark.integration


async def test_a_physician_lands_on_their_referrals_and_never_the_board(client, domain, referral_world):
    await sign_in(client, domain, "house@hill.example")
    board = await client.get("/")
    assert board.status_code in (302, 303) and board.headers["location"] == "/referrals"
    page = await client.get("/referrals")
    assert page.status_code == 200 and "Your referrals" in page.text and "Refer a patient" in page.text
    form = await client.get("/referrals/new")
    assert "Bright Dental: Downtown Office" in form.text and "North Dental: any office" in form.text


async def test_a_referral_becomes_a_lead_on_the_board_with_its_encrypted_files(
    client, domain, referral_world
):
    house = referral_world.person("house@hill.example")
    token = await as_person(client, domain, house)
    page = (await client.get("/referrals/new")).text
    form = referral_form(destination_of(page, "Bright Dental: Lakeway Office"), urgency="urgent")
    answer = await send(
        client, token, form, [("letter.pdf", PDF, "application/pdf"), ("xray.png", PNG, "image/png")]
    )
    assert answer.status_code == 303, answer.text
    async with domain.sessionmaker() as session:
        referral = await session.scalar(select(Referral))
        lead = await session.get(Lead, referral.lead_id)
        files = (await session.scalars(select(ReferralAttachment))).all()
        raw = await session.execute(text("SELECT content_enc, file_name_enc FROM referral_attachments"))
        assert all(PDF[:20] not in bytes(row[0]) and b"letter" not in bytes(row[1]) for row in raw)
        assert domain.cipher.open(referral.reason_enc, column=REFERRAL_REASON, row_id=referral.id).startswith(
            "Crossbite"
        )
    assert (lead.source_kind, lead.source_channel, lead.urgent) == ("referral", "physician_referral", True)
    assert (
        lead.referring_physician_id == house.id and lead.referring_office_id == referral_world.hill.office.id
    )
    assert sorted(f.media_type for f in files) == ["application/pdf", "image/png"]
    pdf = next(f for f in files if f.media_type == "application/pdf")
    assert domain.cipher.open_bytes(pdf.content_enc, column=REFERRAL_FILE, row_id=pdf.id) == PDF

    await as_person(client, domain, referral_world.person("desk@bright.example"))
    board = await client.get("/")
    assert str(lead.id) in board.text
    download = await client.get(f"/referrals/files/{pdf.id}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"].startswith("application/pdf")


async def test_the_same_form_sent_twice_is_one_referral_and_one_lead(client, domain, referral_world):
    token = await as_person(client, domain, referral_world.person("house@hill.example"))
    page = (await client.get("/referrals/new")).text
    form = referral_form(destination_of(page, "Bright Dental: any office"))
    assert (await send(client, token, form)).status_code == 303
    assert (await send(client, token, form)).status_code == 303
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count(Referral.id))) == 1
        assert await session.scalar(select(func.count(Lead.id))) == 1


@pytest.mark.parametrize(
    ("overrides", "files", "field", "words"),
    [
        ({"first_name": ""}, [], "first_name", "Enter the patient"),
        ({"phone": "", "email": ""}, [], "phone", "phone or email"),
        ({"phone": "12"}, [], "phone", "phone"),
        ({"reason": ""}, [], "reason", "Enter the reason"),
        ({"urgency": "yesterday"}, [], "urgency", "Choose how soon"),
        (
            {},
            [("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf")],
            "attachments",
            "larger than 10 MB",
        ),
        (
            {},
            [("notes.pdf", b"PK\x03\x04" + b"\x00" * 40, "application/pdf")],
            "attachments",
            "attach PDFs or images",
        ),
        ({}, [("virus.pdf", PDF + EICAR, "application/pdf")], "attachments", "virus scanner"),
    ],
)
async def test_a_bad_form_or_file_is_refused_beside_its_field_and_stores_nothing(
    client, scanning_domain, referral_world, overrides, files, field, words
):
    domain = scanning_domain
    token = await as_person(client, domain, referral_world.person("house@hill.example"))
    page = (await client.get("/referrals/new")).text
    answer = await send(
        client, token, referral_form(destination_of(page, "Bright Dental: any office"), **overrides), files
    )
    assert answer.status_code == 422, answer.text[:300]
    message = re.search(rf'<p class="field-message" id="{field}-error">(.*?)</p>', answer.text, re.S)
    assert message and words in message.group(1), answer.text
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count(Referral.id))) == 0
        assert await session.scalar(select(func.count(Lead.id))) == 0


async def test_the_status_follows_the_board_and_only_the_referrers_office_sees_it(
    client, domain, referral_world
):
    token = await as_person(client, domain, referral_world.person("house@hill.example"))
    page = (await client.get("/referrals/new")).text
    await send(client, token, referral_form(destination_of(page, "Bright Dental: any office")))
    listed = await client.get("/referrals/list")
    assert "Rosa Quintero" in listed.text and ">Received<" in listed.text
    async with domain.sessionmaker() as session:
        referral = await session.scalar(select(Referral))
    desk = referral_world.person("desk@bright.example")
    await log_contact_made(
        domain,
        await viewer_of(domain, desk),
        referral.lead_id,
        channel="phone",
        actor=Actor("user", str(desk.id)),
    )
    assert "Contacted" in (await client.get("/referrals/list")).text

    for email, sees in (
        ("wilson@hill.example", True),  # the same office
        ("frank@hill.example", True),  # its office staff
        ("cuddy@lake.example", False),  # another office
    ):
        await as_person(client, domain, referral_world.person(email))
        assert ("Rosa Quintero" in (await client.get("/referrals/list")).text) is sees, email
    for email in ("desk@bright.example", "desk@north.example"):
        await as_person(client, domain, referral_world.person(email))
        assert (await client.get("/referrals/list")).status_code == 403, email


async def test_office_staff_refer_on_behalf_of_a_physician_of_their_office(client, domain, referral_world):
    token = await as_person(client, domain, referral_world.person("frank@hill.example"))
    page = (await client.get("/referrals/new")).text
    form = referral_form(destination_of(page, "North Dental: any office"))
    missing = await send(client, token, form)
    assert missing.status_code == 422 and "Choose the physician" in missing.text
    wilson = referral_world.person("wilson@hill.example")
    cuddy = referral_world.person("cuddy@lake.example")
    assert (await send(client, token, {**form, "physician_id": str(cuddy.id)})).status_code == 422
    assert (await send(client, token, {**form, "physician_id": str(wilson.id)})).status_code == 303
    async with domain.sessionmaker() as session:
        referral = await session.scalar(select(Referral))
        lead = await session.get(Lead, referral.lead_id)
    assert (
        referral.referring_physician_id == wilson.id and lead.practice_id == referral_world.north.practice.id
    )
    listed = await client.get("/referrals/list")
    assert "To North Dental" in listed.text


async def test_an_urgent_referral_sorts_after_escalated_leads_and_before_the_rest(
    client, domain, referral_world
):
    from sqlalchemy import update

    from router.board.snapshot import load_board
    from tests.board.helpers import new_lead

    waiting = await new_lead(domain, referral_world.bright, first_name="Wanda")
    escalated = await new_lead(domain, referral_world.bright, first_name="Esme")
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(Lead).where(Lead.id == escalated).values(escalation_level=1))
    token = await as_person(client, domain, referral_world.person("house@hill.example"))
    page = (await client.get("/referrals/new")).text
    await send(
        client, token, referral_form(destination_of(page, "Bright Dental: any office"), urgency="urgent")
    )
    async with domain.sessionmaker() as session:
        urgent = await session.scalar(select(Referral.lead_id))
        viewer = await viewer_of(domain, referral_world.person("desk@bright.example"))
        board = await load_board(session, domain, viewer, actor=Actor("system", "test"))
    assert [lead.id for lead in board] == [escalated, urgent, waiting]
