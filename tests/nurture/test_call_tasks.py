"""Follow-up calls on the live board (reason, Done) and the managers' alert when one is left undone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from connectors.email.smtp import SmtpConfig, SmtpEmailSender
from router.core.models import AuditRecord, DomainEvent, Lead, ManagerAlert, NurtureCallTask, NurtureSettings
from router.core.ports import EmailNotConfigured
from router.nurture.call_escalation import escalate_overdue_call_tasks
from router.nurture.worker import nurture_tick
from tests.escalation.support import freeze
from tests.factories import csrf_of, sign_in
from tests.nurture.support import daytime, nurture_practice
from tests.phones.helpers import WEEKDAYS_9_TO_5, form_lead

pytestmark = pytest.mark.integration

DESK, BOSS = "desk@bright.example", "boss@bright.example"
STAFF = {DESK: {"role": "front_desk"}, BOSS: {"role": "manager"}}


async def _high_score_call(domain, **options):  # type: ignore[no-untyped-def]
    """A practice whose high-score leads get calls, and one such lead whose first step fell due."""
    practice = await nurture_practice(domain, call_task_score=70, staff=STAFF, **options)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(Lead).where(Lead.id == lead_id).values(score=85))
    await nurture_tick(domain)
    async with domain.sessionmaker() as session:
        task = await session.scalar(select(NurtureCallTask))
    return practice, lead_id, task


async def _task(domain, task_id):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return await session.get(NurtureCallTask, task_id)


async def test_a_due_follow_up_call_shows_on_the_board_with_its_reason_and_done_takes_it_off(
    client, nurture_domain
):
    domain = nurture_domain
    freeze(domain, daytime())
    _, lead_id, task = await _high_score_call(domain)
    assert task.reason == "high_score"
    async with domain.sessionmaker() as session:
        kinds = list(await session.scalars(select(DomainEvent.kind).where(DomainEvent.lead_id == lead_id)))
    assert "lead.follow_up_call" in kinds  # the boards are rung when the task appears

    await sign_in(client, domain, DESK)
    board = await client.get("/", headers={"accept": "text/html"})
    assert "Follow-up call due" in board.text
    assert "high score: a call instead of the Orthodontics follow-up&#39;s automated message" in board.text
    assert f"/board/calls/{task.id}/done" in board.text

    done = await client.post(f"/board/calls/{task.id}/done", headers={"x-csrftoken": await csrf_of(client)})
    assert done.status_code == 204
    assert (await _task(domain, task.id)).status == "done"
    assert "Follow-up call due" not in (await client.get("/", headers={"accept": "text/html"})).text
    again = await client.post(f"/board/calls/{task.id}/done", headers={"x-csrftoken": await csrf_of(client)})
    assert again.status_code == 204  # a second click changes nothing
    async with domain.sessionmaker() as session:
        audited = list(
            await session.scalars(select(AuditRecord).where(AuditRecord.action == "nurture.call_task_done"))
        )
        events = list(
            await session.scalars(
                select(DomainEvent.payload).where(DomainEvent.kind == "lead.follow_up_call")
            )
        )
    assert len(audited) == 1 and [e.get("done") for e in events] == [None, True]


async def test_another_practice_cannot_mark_the_call_done(client, nurture_domain):
    from tests.factories import make_practice

    domain = nurture_domain
    freeze(domain, daytime())
    _, _, task = await _high_score_call(domain)
    await make_practice(domain, slug="other", staff={"desk@other.example": {"role": "front_desk"}})
    await sign_in(client, domain, "desk@other.example")
    refused = await client.post(
        f"/board/calls/{task.id}/done", headers={"x-csrftoken": await csrf_of(client)}
    )
    assert refused.status_code == 404 and refused.json()["detail"] == "No such call task in your scope."
    assert (await _task(domain, task.id)).status == "open"


async def test_a_call_left_undone_four_working_hours_alerts_the_managers_once(nurture_domain, mailbox):
    domain = nurture_domain
    domain.email = SmtpEmailSender(
        SmtpConfig(
            host="127.0.0.1", port=mailbox.port, from_address="alerts@leadrouter.example", starttls=False
        )
    )
    # Tuesday 15:00 in Austin: two working hours left that day, the other two on Wednesday morning.
    clock = freeze(domain, datetime(2026, 3, 3, 21, 0, tzinfo=UTC))
    try:
        _, lead_id, task = await _high_score_call(domain, hours=WEEKDAYS_9_TO_5)
        clock.advance(timedelta(hours=19))  # Wednesday 10:00: 19 hours by the wall clock, 3 working hours
        assert await escalate_overdue_call_tasks(domain) == {"candidates": 1, "escalated": 0}
        assert mailbox.messages == []
        clock.advance(timedelta(hours=1, minutes=1))  # Wednesday 11:01
        assert await escalate_overdue_call_tasks(domain) == {"candidates": 1, "escalated": 1}
        assert await escalate_overdue_call_tasks(domain) == {"candidates": 0, "escalated": 0}
    finally:
        domain.email = EmailNotConfigured()
    async with domain.sessionmaker() as session:
        [alert] = (await session.scalars(select(ManagerAlert))).all()
    assert alert.call_task_id == task.id and alert.lead_id == lead_id
    assert alert.message.startswith("A follow-up call at Downtown Office is 4 working hours overdue.")
    assert [(d["channel"], d["status"]) for d in alert.deliveries] == [("sms", "no_phone"), ("email", "sent")]
    [(_, recipients, email)] = mailbox.messages
    assert (
        recipients == [BOSS]
        and email["Subject"] == "A follow-up call at Downtown Office is 4 working hours overdue"
    )
    assert (await _task(domain, task.id)).escalated_at == clock.now()


async def test_a_call_done_in_time_never_alerts(nurture_domain):
    domain = nurture_domain
    clock = freeze(domain, daytime())
    await _high_score_call(domain)
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(NurtureCallTask).values(status="done"))
    clock.advance(timedelta(days=2))
    assert await escalate_overdue_call_tasks(domain) == {"candidates": 0, "escalated": 0}


async def test_the_working_hours_limit_and_the_reply_tag_are_settings(client, domain):
    from tests.factories import make_practice

    await make_practice(domain, staff={BOSS: {"role": "manager"}})
    await sign_in(client, domain, BOSS)
    token = await csrf_of(client)
    form = {"_csrf_token": token, "reply_to": "frontdesk@bright.example", "tag_reply_address": "1"}
    refused = await client.post("/nurture/settings", data={**form, "call_task_escalate_hours": "0"})
    assert refused.status_code == 422
    assert "Working hours before managers are told must be a whole number from 1 to 72." in refused.text
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(NurtureSettings)) is None
    saved = await client.post("/nurture/settings", data={**form, "call_task_escalate_hours": "8"})
    assert saved.status_code == 303
    async with domain.sessionmaker() as session:
        settings = await session.scalar(select(NurtureSettings))
    assert settings.call_task_escalate_hours == 8 and settings.tag_reply_address is True
    page = await client.get("/nurture", headers={"accept": "text/html"})
    assert 'name="tag_reply_address" value="1" checked' in page.text
