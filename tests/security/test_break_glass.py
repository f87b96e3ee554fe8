"""Break-glass access: a reason, a time limit, the managers told, every read flagged, no actions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from connectors.email.smtp import SmtpConfig, SmtpEmailSender
from router.core.models import AuditRecord, BreakGlassGrant
from tests.escalation.support import freeze, start_smtp_server
from tests.factories import open_staff_session
from tests.security.conftest import World

pytestmark = pytest.mark.integration

REASON = "Patient called support about a duplicate text message"


@pytest.fixture
def mailbox(domain):
    controller, mailbox = start_smtp_server()
    saved = domain.email
    domain.email = SmtpEmailSender(
        SmtpConfig(
            host="127.0.0.1",
            port=controller.port,
            from_address="Lead Router <alerts@leadrouter.example>",
            starttls=False,
        )
    )
    yield mailbox
    domain.email = saved
    controller.stop()


async def _sign_in(client, domain, person) -> dict[str, str]:
    client.cookies.clear()
    client.cookies.set("lr_session", await open_staff_session(domain, person))
    page = await client.get("/break-glass")
    assert page.status_code == 200
    return {"x-csrftoken": re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)}


async def test_an_operator_reads_a_practice_only_through_an_announced_flagged_time_limited_grant(
    client, domain, world: World, mailbox
):
    clock = freeze(domain, datetime(2026, 3, 4, 16, 0, tzinfo=UTC))
    csrf = await _sign_in(client, domain, world.people["platform_operator"])
    practice_id = str(world.practice.practice.id)
    lead = world.leads["downtown"]
    assert (await client.get(f"/api/leads/{lead}")).status_code == 404

    short = await client.post(
        "/break-glass", data={"practice_id": practice_id, "reason": "need it", "minutes": "15"}, headers=csrf
    )
    assert short.status_code == 422 and "at least 15 characters" in short.text
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count(BreakGlassGrant.id))) == 0

    started = await client.post(
        "/break-glass", data={"practice_id": practice_id, "reason": REASON, "minutes": "15"}, headers=csrf
    )
    assert started.status_code == 303
    async with domain.sessionmaker() as session:
        grant = await session.scalar(select(BreakGlassGrant))
    assert grant.reason == REASON and grant.expires_at == clock.now() + timedelta(minutes=15)

    told = sorted(rcpt for _, rcpts, _ in mailbox.messages for rcpt in rcpts)
    assert told == ["admin@bright.example", "boss@bright.example"]
    body = mailbox.messages[0][2].get_content()
    assert "Dora" not in body and REASON not in body  # no PHI, no free text in the email

    detail = await client.get(f"/api/leads/{lead}")
    assert detail.status_code == 200 and detail.json()["first_name"] == "Dora"
    listed = await client.get("/api/leads", params={"status": ""})
    assert {row["id"] for row in listed.json()["leads"]} == {
        str(world.leads[name]) for name in ("downtown", "lakeway", "overflow", "referral", "other_referral")
    }
    async with domain.sessionmaker() as session:
        reads = (
            await session.scalars(
                select(AuditRecord).where(
                    AuditRecord.action == "lead.read",
                    AuditRecord.actor_id == str(world.people["platform_operator"].id),
                )
            )
        ).all()
    assert reads and all(row.details["break_glass"] == str(grant.id) for row in reads)

    claim = await client.post(f"/board/leads/{lead}/claim", headers=csrf)
    assert claim.status_code == 403  # seeing is not acting

    clock.advance(timedelta(minutes=16))
    lapsed = await client.get(f"/leads/{lead}", follow_redirects=True)
    assert lapsed.status_code == 200 and "Your emergency access ended" in lapsed.text
    assert (await client.get(f"/api/leads/{lead}")).status_code == 404


async def test_a_manager_cannot_open_another_practice_and_front_desk_cannot_open_any(
    client, domain, world: World, mailbox
):
    north = await _practice_id(domain, "north")
    csrf = await _sign_in(client, domain, world.people["manager"])
    refused = await client.post(
        "/break-glass", data={"practice_id": north, "reason": REASON, "minutes": "15"}, headers=csrf
    )
    assert refused.status_code == 403 and "your own practice" in refused.text
    csrf = await _sign_in(client, domain, world.people["front_desk"])
    refused = await client.post(
        "/break-glass",
        data={"practice_id": str(world.practice.practice.id), "reason": REASON, "minutes": "15"},
        headers=csrf,
    )
    assert refused.status_code == 403
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count(BreakGlassGrant.id))) == 0
    assert mailbox.messages == []


async def _practice_id(domain, slug: str) -> str:
    from router.core.models import Practice

    async with domain.sessionmaker() as session:
        return str(await session.scalar(select(Practice.id).where(Practice.slug == slug)))


async def test_when_access_runs_out_any_page_goes_once_to_the_notice(client, domain, world: World, mailbox):
    clock = freeze(domain, datetime(2026, 3, 4, 16, 0, tzinfo=UTC))
    csrf = await _sign_in(client, domain, world.people["platform_operator"])
    started = await client.post(
        "/break-glass",
        data={"practice_id": str(world.practice.practice.id), "reason": REASON, "minutes": "15"},
        headers=csrf,
    )
    assert started.status_code == 303
    assert (await client.get("/", follow_redirects=False)).status_code == 200
    clock.advance(timedelta(minutes=16))
    swapped = await client.get("/board/snapshot", headers={"hx-request": "true"}, follow_redirects=False)
    assert swapped.headers.get("hx-redirect") == "/break-glass"
    board = await client.get("/", follow_redirects=False)
    assert board.status_code == 303 and board.headers["location"] == "/break-glass"
    notice = await client.get("/break-glass")
    assert "Your emergency access ended" in notice.text
    home = await client.get("/", follow_redirects=False)  # told once, then back to their own work
    assert home.status_code == 302 and home.headers["location"] == "/admin"
