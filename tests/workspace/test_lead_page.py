"""The lead page: every note of the lead's history in plain words and local times, the recording
behind sign-in and audit, the text inbox's unread count cleared by opening the lead."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from router.core.models import AuditRecord, PhoneCall
from tests.factories import make_practice, open_staff_session
from tests.workspace.support import NOTES, RAW_CODE, busy_lead, visible_text

pytestmark = pytest.mark.integration


async def _as(client, domain, user) -> None:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    client.cookies.set("lr_session", await open_staff_session(domain, user))


async def test_the_activity_stream_holds_every_note_in_plain_words(twilio_client, twilio_config, phones):
    lead = await busy_lead(phones, twilio_client, twilio_config)
    await _as(twilio_client, phones, lead.practice.staff["desk@bright.example"])
    page = await twilio_client.get(f"/leads/{lead.lead_id}")
    assert page.status_code == 200, page.text
    text = html.unescape(visible_text(page.text))
    for what, note in NOTES.items():
        assert note in text, what
    for words in (
        "Tried to reach them: no answer",
        "Reached the patient (phone)",
        "Text from the patient",
        "Incoming call",
        "Overflow agent's call: Call back at",
        "Handed back to the practice",
        "Web form",
        "(512) 867-5309",
        "Dana Desk",
        "Hana Ito",
    ):
        assert words in text, words
    assert RAW_CODE.findall(text) == []
    assert " CST" in text and "UTC" not in text  # local times; UTC only in the tooltips
    assert 'title="20' in page.text and ' UTC"' in page.text
    live = await twilio_client.get(f"/leads/{lead.lead_id}/live")
    assert live.status_code == 200 and NOTES["hand_back"] in html.unescape(live.text)
    async with phones.sessionmaker() as session:
        reads = (
            await session.scalars(
                select(AuditRecord.details).where(
                    AuditRecord.lead_id == lead.lead_id,
                    AuditRecord.action == "lead.read",
                    AuditRecord.actor_id == str(lead.desk.user_id),
                )
            )
        ).all()
    assert {"via": "detail"} in reads


async def test_a_recording_plays_only_in_scope_and_every_play_is_audited(
    twilio_client, twilio_config, phones, fake_twilio
):
    lead = await busy_lead(phones, twilio_client, twilio_config)
    async with phones.sessionmaker() as session:
        call_id = await session.scalar(select(PhoneCall.id).where(PhoneCall.lead_id == lead.lead_id))
    path = f"/leads/{lead.lead_id}/calls/{call_id}/recording"
    assert (await twilio_client.get(path)).status_code in (302, 303)  # signed out: to the sign-in page

    stranger = await make_practice(phones, slug="north", staff={"desk@north.example": {}})
    await _as(twilio_client, phones, stranger.staff["desk@north.example"])
    assert (await twilio_client.get(path)).status_code == 404
    assert fake_twilio.requests == [r for r in fake_twilio.requests if "Recordings" not in r.path]

    await _as(twilio_client, phones, lead.practice.staff["desk@bright.example"])
    page = await twilio_client.get(f"/leads/{lead.lead_id}")
    assert f'src="{path}"' in page.text
    audio = await twilio_client.get(path)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    assert audio.content == b"ID3RE" + b"1" * 32 and audio.headers["cache-control"] == "no-store"
    async with phones.sessionmaker() as session:
        plays = (
            await session.scalars(
                select(AuditRecord.actor_id).where(AuditRecord.action == "lead.recording_played")
            )
        ).all()
    assert plays == [str(lead.desk.user_id)]


async def test_opening_the_lead_reads_its_texts_for_the_whole_desk(twilio_client, twilio_config, phones):
    lead = await busy_lead(phones, twilio_client, twilio_config)
    await _as(twilio_client, phones, lead.practice.staff["desk@bright.example"])
    assert ">1<" in (await twilio_client.get("/inbox/unread")).text
    inbox = await twilio_client.get("/inbox")
    assert inbox.status_code == 200 and "1 new" in inbox.text
    assert NOTES["staff_text"] in html.unescape(inbox.text)  # the latest text leads the preview
    assert (await twilio_client.get(f"/leads/{lead.lead_id}")).status_code == 200
    assert (await twilio_client.get("/inbox/unread")).text == ""
    assert "1 new" not in (await twilio_client.get("/inbox/list")).text
