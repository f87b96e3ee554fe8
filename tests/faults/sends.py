"""The worker killed mid-send: managers' level-2 alerts (texts and emails) and patients' follow-up
messages in flight at the local Twilio and mail server when the worker gets SIGKILL.

Afterwards, counted at those servers: no patient was texted or emailed twice (at most once: a text
of unknown outcome is looked up in Twilio's list, an email of unknown outcome is never resent) and
no manager alert was lost (at least once: a duplicate to a manager is acceptable).
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text, update

from router.core.models import Lead, ManagerAlert, NurtureMessage, Practice, StaffUser
from router.leads.alerts import ALERT_SEND_LEASE
from router.nurture.outbox import STALLED_AFTER
from tests.faults.checks import Outcome, audit_intact, escalated, sweep_now
from tests.faults.world import World
from tests.nurture.support import nurture_practice
from tests.phones.helpers import form_lead

MANAGER = "boss@sends.example"
MANAGER_PHONE = "+18005550111"
"""A toll-free number: no area code's zone, so quiet hours are read in the practice's zone."""
AROUND_THE_CLOCK = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SETTLE_SECONDS = 90.0
"""From the restart until every alert is delivered and every follow-up settled (a loaded machine)."""
IN_FLIGHT_WITHIN = 60.0
"""How long to wait for a manager's alert and a patient's message both to be at the providers."""
_patients = itertools.count(1)


def midday_zone(now: datetime) -> str:
    """A zone where it is about 13:00 now, so automated texts are not held for quiet hours."""
    offset = 13 - now.astimezone(UTC).hour
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-3 is UTC+3


async def sends_practice(world: World) -> Any:
    """A practice with follow-ups switched on, a manager on call around the clock, at midday now."""
    domain = world.domain
    practice = await nurture_practice(
        domain,
        slug=f"sends{uuid.uuid4().hex[:6]}",
        treatments=("orthodontics", "emergency"),
        staff={MANAGER: {"role": "manager", "name": "Maya"}},
    )
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Practice)
            .where(Practice.id == practice.practice.id)
            .values(
                time_zone=midday_zone(domain.clock.now()),
                settings={"manager_on_call": {MANAGER: AROUND_THE_CLOCK}},
            )
        )
        await session.execute(update(StaffUser).where(StaffUser.email == MANAGER).values(phone=MANAGER_PHONE))
    return practice


async def new_leads(
    world: World, practice: Any, count: int, *, treatments: tuple[str, ...]
) -> list[tuple[uuid.UUID, str, str]]:
    """`count` new leads asking about `treatments` in turn: (lead id, phone, email) each."""
    leads = []
    for n in range(count):
        k = next(_patients)
        phone, email = f"+1888{2010000 + k:07d}", f"patient{k}-{uuid.uuid4().hex[:6]}@example.com"
        lead_id = await form_lead(
            world.domain,
            practice,
            first_name=f"Pat{k}",
            phone=phone,
            email=email,
            zip=None,
            treatment_interest=treatments[n % len(treatments)],
        )
        leads.append((lead_id, phone, email))
    return leads


async def enqueue(world: World, function: str, *args: Any) -> None:
    await world.runtime.redis.enqueue_job(
        function,
        *args,
        _job_id=f"fault-{function}-{uuid.uuid4().hex}",
        _queue_name=world.runtime.settings.redis.queue_name,
    )


async def due_for_level_2(world: World, ids: list[uuid.UUID]) -> None:
    """Level 1 for every lead (shown in the app, nothing sent), then level 2 made due now."""
    async with world.domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Lead).where(Lead.id.in_(ids)).values(sla_due_at=func.now() - text("interval '1 second'"))
        )
    await sweep_now(world)
    deadline = time.monotonic() + 60
    while await escalated(world, ids) < len(ids):
        assert time.monotonic() < deadline, "the leads never reached level 1"
        await asyncio.sleep(0.1)
    async with world.domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Lead)
            .where(Lead.id.in_(ids))
            .values(next_escalation_at=func.now() - text("interval '1 second'"))
        )


async def lapse_leases(world: World, killed_at: datetime) -> None:
    """Move the dead worker's leases into the past, as two minutes without it would, and run the
    sweepers that take over (alerts still pending; follow-ups left `sending`). What the new worker
    is sending keeps its lease: only leases taken before `killed_at` lapse, each once. The sweeps
    are enqueued every few seconds, so they may overlap, as two workers' sweeps may."""
    async with world.domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(ManagerAlert)
            .where(
                ManagerAlert.send_lease_until > func.now(),
                ManagerAlert.send_lease_until <= killed_at + ALERT_SEND_LEASE,
            )
            .values(send_lease_until=func.now() - text("interval '1 second'"))
        )
        await session.execute(
            update(NurtureMessage)
            .where(
                NurtureMessage.status == "sending",
                NurtureMessage.attempt_started_at > func.now() - STALLED_AFTER,
                NurtureMessage.attempt_started_at <= killed_at,
            )
            .values(attempt_started_at=func.now() - STALLED_AFTER - text("interval '1 second'"))
        )
    for task in ("cron:resend_pending_alerts_task", "cron:nurture_recover_task"):
        await enqueue(world, task)


async def unsettled(world: World, alert_ids: list[uuid.UUID], patient_ids: list[uuid.UUID]) -> int:
    """Alerts missing or with a send pending, and follow-ups not yet made or not yet settled."""
    async with world.domain.sessionmaker() as session:
        alerts = (
            await session.scalars(
                select(ManagerAlert).where(ManagerAlert.lead_id.in_(alert_ids), ManagerAlert.level == 2)
            )
        ).all()
        messages = (
            await session.execute(
                select(NurtureMessage.lead_id, NurtureMessage.status).where(
                    NurtureMessage.lead_id.in_(patient_ids)
                )
            )
        ).all()
    done = {a.lead_id for a in alerts if not any(d["status"] == "pending" for d in a.deliveries)}
    open_ = {lead for lead, status in messages if status in ("queued", "sending")}
    settled = {lead for lead, _ in messages} - open_
    return len(set(alert_ids) - done) + len(set(patient_ids) - settled)


async def settle(
    world: World, alert_ids: list[uuid.UUID], patient_ids: list[uuid.UUID], killed_at: datetime
) -> list[str]:
    deadline = time.monotonic() + SETTLE_SECONDS
    next_nudge = 0.0
    while (left := await unsettled(world, alert_ids, patient_ids)) > 0:
        if time.monotonic() > deadline:
            return [f"{left} alerts or follow-ups still unsettled {SETTLE_SECONDS:.0f} s after the restart"]
        if time.monotonic() >= next_nudge:  # the sweepers, as their cron would run them
            await lapse_leases(world, killed_at)
            await enqueue(world, "cron:nurture_tick_task")
            next_nudge = time.monotonic() + 3.0
        await asyncio.sleep(0.2)
    return []


async def worker_kill_mid_send(world: World, *, alerts: int = 3, patients: int = 6) -> Outcome:
    """Level-2 alerts of `alerts` leads (no follow-ups: implants) and the first follow-ups of
    `patients` other leads (texts and emails) in flight at the providers when the worker is killed.
    Fewer alerts than the worker's ten job slots, so both kinds of send are in flight together."""
    outcome = Outcome("worker SIGKILL mid-send", requests=alerts + patients)
    practice = await sends_practice(world)
    alerted = await new_leads(world, practice, alerts, treatments=("implants",))
    alert_ids = [lead_id for lead_id, _, _ in alerted]
    await due_for_level_2(world, alert_ids)
    world.holding.on = True
    nurtured = await new_leads(world, practice, patients, treatments=("emergency", "orthodontics"))
    people = {p for _, phone, email in nurtured for p in (phone, email)}
    for lead_id in alert_ids:
        await enqueue(world, "escalate_lead", str(lead_id), 2)
    await enqueue(world, "cron:nurture_tick_task")
    in_flight = await both_in_flight(world, people)
    world.kill(world.worker)  # no await since the reading: the servers drop what they see abandoned
    killed = time.monotonic()
    world.holding.on = False
    async with world.domain.sessionmaker() as session:
        killed_at = await session.scalar(select(func.now()))
    outcome.in_flight = len(in_flight)
    if not any(k in (MANAGER, MANAGER_PHONE) for k in in_flight):
        outcome.problems.append("no manager alert was in flight when the worker was killed")
    if not any(k in people for k in in_flight):
        outcome.problems.append("no patient message was in flight when the worker was killed")
    world.start_worker()
    await world.wait_worker()
    outcome.problems += await settle(world, alert_ids, [lead for lead, _, _ in nurtured], killed_at)
    outcome.recover_seconds = time.monotonic() - killed
    outcome.problems += counted_at_providers(world, alerted, nurtured, outcome)
    outcome.problems += await audit_intact(world)
    return outcome


async def both_in_flight(world: World, people: set[str]) -> list[str]:
    """Wait until a manager's alert and a patient's message are both held; what is held then."""
    deadline = time.monotonic() + IN_FLIGHT_WITHIN
    while True:
        held = list(world.holding.held)
        if any(k in (MANAGER, MANAGER_PHONE) for k in held) and any(k in people for k in held):
            return held
        if time.monotonic() > deadline:
            return held
        await asyncio.sleep(0.01)


def counted_at_providers(
    world: World,
    alerted: list[tuple[uuid.UUID, str, str]],
    nurtured: list[tuple[uuid.UUID, str, str]],
    outcome: Outcome,
) -> list[str]:
    """No patient got the same message twice; each alert reached the manager by text and by email."""
    people = {p for _, phone, email in [*alerted, *nurtured] for p in (phone, email)}
    texts, mails = world.twilio.messages(), world.mailbox.mails()
    sent = Counter([(to, body) for to, body in [*texts, *mails] if to in people])
    outcome.duplicates = sum(n - 1 for n in sent.values())
    texted = [body for to, body in texts if to == MANAGER_PHONE]
    mailed = [body for to, body in mails if to == MANAGER]
    lost = [
        lead_id
        for lead_id, _, _ in alerted
        if not any(f"/leads/{lead_id}" in body for body in texted)
        or not any(f"/leads/{lead_id}" in body for body in mailed)
    ]
    outcome.lost, outcome.ok = len(lost), outcome.requests - len(lost)
    problems = []
    if twice := sorted({to for (to, _), n in sent.items() if n > 1}):
        problems.append(f"{outcome.duplicates} patient messages were sent twice (to {', '.join(twice)})")
    if lost:
        problems.append(f"{len(lost)} of {len(alerted)} manager alerts never reached the manager")
    if not sent:
        problems.append("no patient message was sent at all")
    return problems
