"""The status page and its JSON: who may read it, what each check sees, and when it turns amber or red."""

from __future__ import annotations

import dataclasses
import html
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from router.core.settings import OpsSettings
from router.ops.marks import AUDIT_SEAL, BACKUP, ESCALATION_SWEEP, PMS_SYNC, WORKER_HEARTBEAT, record_mark
from router.ops.status import CRITICAL, OFF, OK, WARNING, build_report
from router.privacy.auth import create_user
from router.schedule import CRON_JOBS
from tests.factories import PASSWORD, make_practice, open_staff_session

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


@pytest.fixture
async def practice(domain):
    return await make_practice(
        domain,
        staff={
            "admin@bright.example": {"role": "practice_admin", "name": "Pat Admin"},
            "maya@bright.example": {"role": "manager", "name": "Maya"},
            "ana@bright.example": {"name": "Ana Ruiz"},
        },
    )


async def sign_in(client, domain, user):
    client.cookies.clear()
    client.cookies.set("lr_session", await open_staff_session(domain, user))


async def _all_fresh(domain, **ages):
    now = domain.clock.now()
    for name in (WORKER_HEARTBEAT, ESCALATION_SWEEP, AUDIT_SEAL, BACKUP):
        await record_mark(domain, name, {}, at=now - ages.get(name, timedelta(seconds=1)))


def _states(report):
    return {check.key: check.state for check in report.checks}


async def test_fresh_marks_are_green_and_the_pms_sync_is_not_configured(domain, runtime):
    await _all_fresh(domain)
    report = await build_report(domain, runtime.redis)
    assert _states(report) == {
        "postgresql": OK,
        "redis": OK,
        WORKER_HEARTBEAT: OK,
        ESCALATION_SWEEP: OK,
        "queue": OK,
        AUDIT_SEAL: OK,
        PMS_SYNC: OFF,
        BACKUP: OK,
    }
    assert report.state == OK


async def test_stale_marks_turn_amber_then_red_and_say_what_to_do(domain, runtime):
    await _all_fresh(
        domain,
        **{
            WORKER_HEARTBEAT: timedelta(minutes=1),
            ESCALATION_SWEEP: timedelta(minutes=6),
            BACKUP: timedelta(hours=30),
        },
    )
    await record_mark(domain, PMS_SYNC, {}, at=domain.clock.now() - timedelta(days=2))
    report = await build_report(domain, runtime.redis)
    states = _states(report)
    assert states[WORKER_HEARTBEAT] == WARNING and states[ESCALATION_SWEEP] == CRITICAL
    assert states[BACKUP] == WARNING and states[PMS_SYNC] == CRITICAL and report.state == CRITICAL
    worker = next(c for c in report.checks if c.key == WORKER_HEARTBEAT)
    assert worker.summary.startswith("Last beat 1 minute ago") and "leadrouter worker" in worker.action


async def test_never_backed_up_is_red(domain, runtime):
    report = await build_report(domain, runtime.redis)
    backup = next(c for c in report.checks if c.key == BACKUP)
    assert backup.state == CRITICAL and "leadrouter backup" in backup.action


async def test_a_due_job_left_waiting_shows_in_the_queue(domain, runtime):
    await _all_fresh(domain)
    queue = domain.settings.redis.queue_name
    two_minutes_ago = int(time.time() * 1000) - 120_000
    await runtime.redis.zadd(queue, {"stuck-job": two_minutes_ago, "later-job": two_minutes_ago + 3_600_000})
    report = await build_report(domain, runtime.redis)
    check = next(c for c in report.checks if c.key == "queue")
    assert check.state == WARNING and check.facts["due"] == 1 and check.facts["deferred"] == 1
    assert "1 job due, the oldest waiting 2 minutes" in check.summary


async def test_audit_records_left_unsealed_turn_the_sealer_red(domain, runtime):
    await _all_fresh(domain)
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO audit_log (occurred_at, actor_type, actor_id, action, details) "
                "VALUES (now() - interval '20 minutes', 'system', 'test', 'lead.read', '{}')"
            )
        )
    report = await build_report(domain, runtime.redis)
    seal = next(c for c in report.checks if c.key == AUDIT_SEAL)
    assert (
        seal.state == CRITICAL and "1 record waiting to be sealed, the oldest for 20 minutes" in seal.summary
    )


async def test_the_worker_jobs_leave_their_marks(domain, runtime):
    ctx = {"domain": domain, "runtime": runtime}
    by_name = {job.name: job for job in CRON_JOBS}
    for name in ("cron:worker_heartbeat", "cron:seal_audit_log", "cron:sweep_overdue_task"):
        await by_name[name].coroutine(ctx)
    report = await build_report(domain, runtime.redis)
    states = _states(report)
    assert states[WORKER_HEARTBEAT] == states[AUDIT_SEAL] == states[ESCALATION_SWEEP] == OK


async def test_the_page_is_for_operators_and_practice_admins(client, domain, runtime, practice, operator):
    await _all_fresh(domain, **{WORKER_HEARTBEAT: timedelta(minutes=5)})
    await sign_in(client, domain, operator)
    page = await client.get("/status")
    text_of_page = html.unescape(page.text)
    assert page.status_code == 200 and "Something is down" in text_of_page
    assert "Worker" in text_of_page and "Down" in text_of_page and "What to do:" in text_of_page
    assert "Not configured: no practice-management system is connected." in text_of_page
    await sign_in(client, domain, practice.staff["admin@bright.example"])
    assert (await client.get("/status")).status_code == 200
    for email in ("maya@bright.example", "ana@bright.example"):
        await sign_in(client, domain, practice.staff[email])
        assert (await client.get("/status", headers={"accept": "text/html"})).status_code == 403
        assert (await client.get("/api/status")).status_code == 403


async def test_the_json_answers_a_token_or_an_allowed_session_only(
    client, domain, runtime, monkeypatch, operator
):
    await _all_fresh(domain)
    monkeypatch.setattr(
        domain, "settings", dataclasses.replace(domain.settings, ops=OpsSettings(status_token="s3cret"))
    )
    assert (await client.get("/api/status")).status_code == 401
    wrong = await client.get("/api/status", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "LEADROUTER_STATUS_TOKEN" in wrong.json()["detail"]
    right = await client.get("/api/status", headers={"authorization": "Bearer s3cret"})
    body = right.json()
    assert right.status_code == 200 and body["status"] == OK, json.dumps(body)
    assert [c["key"] for c in body["checks"]][:2] == ["postgresql", "redis"]
    await sign_in(client, domain, operator)
    assert (await client.get("/api/status")).json()["status"] == OK


async def test_the_json_is_503_when_something_is_red(client, domain, monkeypatch):
    monkeypatch.setattr(
        domain, "settings", dataclasses.replace(domain.settings, ops=OpsSettings(status_token="t"))
    )
    answer = await client.get("/api/status", headers={"authorization": "Bearer t"})
    assert answer.status_code == 503 and answer.json()["status"] == CRITICAL
