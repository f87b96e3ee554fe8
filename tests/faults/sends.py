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


async def new_patients(world: World, practice: Any, count: int) -> list[tuple[uuid.UUID, str, str]]:
    """`count` leads, half asking about an emergency (first follow-up a text), half braces (an email),
    all past their response deadline; (lead id, phone, email) each."""
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
            treatment_interest="emergency" if n % 2 == 0 else "orthodontics",
        )
        leads.append((lead_id, phone, email))
    async with world.domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Lead)
            .where(Lead.id.in_([lead for lead, _, _ in leads]))
            .values(sla_due_at=func.now() - text("interval '1 second'"))
        )
    return leads


async def enqueue(world: World, function: str, *args: Any) -> None:
    await world.runtime.redis.enqueue_job(
        function,
        *args,
        _job_id=f"fault-{function}-{uuid.uuid4().hex}",
        _queue_name=world.runtime.settings.redis.queue_name,
    )


async def start_sends(world: World, ids: list[uuid.UUID]) -> None:
    """Level 1 for every lead (in the app only), then level 2 (the managers' texts and emails) and the
    first follow-ups, all at once, while the providers hold their answers."""
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
    world.holding.on = True
    await enqueue(world, "cron:nurture_tick_task")
    for lead_id in ids:
        await enqueue(world, "escalate_lead", str(lead_id), 2)


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


async def unsettled(world: World, ids: list[uuid.UUID]) -> int:
    """Leads whose level-2 alert is missing or has a send pending, or whose follow-up is not settled."""
    async with world.domain.sessionmaker() as session:
        alerts = (
            await session.scalars(
                select(ManagerAlert).where(ManagerAlert.lead_id.in_(ids), ManagerAlert.level == 2)
            )
        ).all()
        open_messages = await session.scalar(
            select(func.count()).where(
                NurtureMessage.lead_id.in_(ids), NurtureMessage.status.in_(("queued", "sending"))
            )
        )
    done = {a.lead_id for a in alerts if not any(d["status"] == "pending" for d in a.deliveries)}
    return len(set(ids) - done) + int(open_messages or 0)


async def settle(world: World, ids: list[uuid.UUID], killed_at: datetime) -> list[str]:
    deadline = time.monotonic() + SETTLE_SECONDS
    next_nudge = 0.0
    while (left := await unsettled(world, ids)) > 0:
        if time.monotonic() > deadline:
            return [f"{left} alerts or follow-ups still unsettled {SETTLE_SECONDS:.0f} s after the restart"]
        if time.monotonic() >= next_nudge:  # the sweepers, as their cron would run them
            await lapse_leases(world, killed_at)
            await sweep_now(world)
            next_nudge = time.monotonic() + 3.0
        await asyncio.sleep(0.2)
    return []


async def worker_kill_mid_send(world: World, *, leads: int = 6) -> Outcome:
    """Level-2 alerts and first follow-ups in flight at the providers when the worker is killed."""
    outcome = Outcome("worker SIGKILL mid-send", requests=leads)
    practice = await sends_practice(world)
    patients = await new_patients(world, practice, leads)
    ids = [lead_id for lead_id, _, _ in patients]
    people = {p for _, phone, email in patients for p in (phone, email)}
    await start_sends(world, ids)
    in_flight: list[str] = []
    deadline = time.monotonic() + IN_FLIGHT_WITHIN
    while time.monotonic() < deadline:
        in_flight = list(world.holding.held)
        managers = [k for k in in_flight if k in (MANAGER, MANAGER_PHONE)]
        if managers and len(in_flight) > len(managers):  # a patient's message too
            break
        await asyncio.sleep(0.01)
    world.kill(world.worker)
    killed = time.monotonic()
    async with world.domain.sessionmaker() as session:
        killed_at = await session.scalar(select(func.now()))
    in_flight = list(world.holding.held)
    world.holding.on = False
    outcome.in_flight = len(in_flight)
    if not any(k in (MANAGER, MANAGER_PHONE) for k in in_flight):
        outcome.problems.append("no manager alert was in flight when the worker was killed")
    if not any(k in people for k in in_flight):
        outcome.problems.append("no patient message was in flight when the worker was killed")
    world.start_worker()
    await world.wait_worker()
    outcome.problems += await settle(world, ids, killed_at)
    outcome.recover_seconds = time.monotonic() - killed
    outcome.problems += counted_at_providers(world, patients, outcome)
    outcome.problems += await audit_intact(world)
    return outcome


def counted_at_providers(
    world: World, patients: list[tuple[uuid.UUID, str, str]], outcome: Outcome
) -> list[str]:
    """No patient got the same message twice; each lead's alert reached the manager by text and email."""
    people = {p for _, phone, email in patients for p in (phone, email)}
    sent = Counter(
        [(to, body) for to, body in world.twilio.messages() if to in people]
        + [(to, body) for to, body in world.mailbox.mails() if to in people]
    )
    outcome.duplicates = sum(n - 1 for n in sent.values())
    to_manager = [body for to, body in [*world.twilio.messages(), *world.mailbox.mails()] if to == MANAGER]
    texts_to_manager = [body for to, body in world.twilio.messages() if to == MANAGER_PHONE]
    lost = [
        lead_id
        for lead_id, _, _ in patients
        if not any(f"/leads/{lead_id}" in body for body in texts_to_manager)
        or not any(f"/leads/{lead_id}" in body for body in to_manager)
    ]
    outcome.lost, outcome.ok = len(lost), len(patients) - len(lost)
    problems = []
    if twice := sorted({to for (to, _), n in sent.items() if n > 1}):
        problems.append(f"{outcome.duplicates} patient messages were sent twice (to {', '.join(twice)})")
    if lost:
        problems.append(f"{len(lost)} of {len(patients)} manager alerts never reached the manager")
    if not sent:
        problems.append("no patient message was sent at all")
    return problems
