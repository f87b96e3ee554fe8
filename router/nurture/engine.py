"""The sequence runner: enrol new leads, and on each tick run the steps that fell due.

A tick takes due enrolments through one partial index (`ix_nurture_enrolments_due`), locks them
(SKIP LOCKED, so two workers never run the same step) and, per step, writes an outbox message or a
staff call task in the same transaction that moves the enrolment on. Sending happens afterwards,
in `router.nurture.outbox`, one arq job per message.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.events import record_lead_event
from router.core.models import (
    Lead,
    Location,
    NurtureCallTask,
    NurtureEnrolment,
    NurtureMessage,
    NurtureSequence,
    NurtureSequenceVersion,
    NurtureSettings,
    Practice,
    PracticePhoneSettings,
    Touchpoint,
)
from router.nurture.behaviour import did
from router.nurture.call_tasks import FOLLOW_UP_CALL_EVENT
from router.nurture.compose import compose_message
from router.nurture.exits import end_enrolment, exit_reason
from router.nurture.review_hold import awaiting_review

NEW_LEAD_WINDOW = timedelta(hours=24)
"""Leads that arrived in the last day and were never enrolled are enrolled by the next tick."""
TICK_BATCH = 500
"""Due enrolments per transaction: small enough to hold row locks briefly, large enough for 100k leads."""
LANGUAGES = ("en", "es")


@dataclass
class TickReport:
    enrolled: int = 0
    steps: int = 0
    exited: int = 0
    messages: list[tuple[uuid.UUID, datetime]] | None = None
    calls: list[tuple[Lead, uuid.UUID]] | None = None
    """Call tasks written by this batch, announced once its steps are done (events come last)."""


def _matches(sequence: NurtureSequence, lead: Lead) -> bool:
    score = lead.score
    return (
        (sequence.treatment is None or sequence.treatment == lead.treatment_interest)
        and (sequence.location_id is None or sequence.location_id == lead.location_id)
        and (sequence.source_kind is None or sequence.source_kind == lead.source_kind)
        and (sequence.min_score is None or (score is not None and score >= sequence.min_score))
        and (sequence.max_score is None or (score is not None and score <= sequence.max_score))
    )


def _specificity(sequence: NurtureSequence) -> tuple[int, ...]:
    return (
        sequence.location_id is not None,
        sequence.treatment is not None,
        sequence.source_kind is not None,
        sequence.min_score is not None or sequence.max_score is not None,
    )


async def lead_language(session: AsyncSession, lead: Lead) -> str:
    """The language the lead last asked for (a form's `language` field), else English."""
    details = await session.scalars(
        select(Touchpoint.details)
        .where(Touchpoint.lead_id == lead.id)
        .order_by(Touchpoint.occurred_at.desc())
    )
    for detail in details:
        language = str((detail or {}).get("language") or "").lower()[:2]
        if language in LANGUAGES:
            return language
    return "en"


async def enrol(session: AsyncSession, lead: Lead, now: datetime) -> NurtureEnrolment | None:
    """Put the lead on the most specific active sequence whose rules it meets (None: none fits)."""
    sequences = (
        await session.scalars(
            select(NurtureSequence).where(
                NurtureSequence.practice_id == lead.practice_id, NurtureSequence.active.is_(True)
            )
        )
    ).all()
    fitting = sorted((s for s in sequences if _matches(s, lead)), key=_specificity, reverse=True)
    if not fitting:
        return None
    sequence = fitting[0]
    version = await session.scalar(
        select(NurtureSequenceVersion).where(
            NurtureSequenceVersion.sequence_id == sequence.id,
            NurtureSequenceVersion.version == sequence.current_version,
        )
    )
    if version is None or not version.steps:
        return None
    first_wait = timedelta(minutes=int(version.steps[0].get("wait_minutes") or 0))
    enrolment = NurtureEnrolment(
        id=uuid.uuid4(),
        practice_id=lead.practice_id,
        lead_id=lead.id,
        sequence_version_id=version.id,
        language=await lead_language(session, lead),
        step_index=0,
        status="paused" if await awaiting_review(session, lead.id) else "active",
        next_due_at=max(lead.received_at + first_wait, now) if first_wait else now,
        enrolled_at=now,
    )
    session.add(enrolment)
    return enrolment


async def enrol_new_leads(domain: Domain, *, limit: int = TICK_BATCH) -> int:
    """Enrol open leads of the last day that were never in a sequence.

    Only leads of practices with a sequence switched on are read, and the whole day is read in
    batches: a lead no sequence fits is never enrolled, so it stays a candidate all day, and reading
    only the oldest batch let a day's worth of such leads stop every newer lead from being enrolled.
    """
    now = domain.clock.now()
    enrolled = 0
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        async with domain.sessionmaker() as session, session.begin():
            leads = (await session.scalars(_enrolment_candidates(now, after, limit))).all()
            for lead in leads:
                if await exit_reason(session, lead) is None and await enrol(session, lead, now) is not None:
                    enrolled += 1
        if len(leads) < limit:
            return enrolled
        after = (leads[-1].received_at, leads[-1].id)


def _enrolment_candidates(now: datetime, after: tuple[datetime, uuid.UUID] | None, limit: int) -> Any:
    """One batch of never-enrolled open leads of the last day, in arrival order, after `after`."""
    query = (
        select(Lead)
        .where(
            Lead.status == "open",
            Lead.received_at >= now - NEW_LEAD_WINDOW,
            Lead.practice_id.in_(select(NurtureSequence.practice_id).where(NurtureSequence.active.is_(True))),
            ~exists().where(NurtureEnrolment.lead_id == Lead.id),
        )
        .order_by(Lead.received_at, Lead.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if after is not None:
        query = query.where(tuple_(Lead.received_at, Lead.id) > tuple_(*after))
    return query


def due_enrolments_query(now: datetime, limit: int) -> Any:
    """The tick's query (a test reads its plan: it must use the partial index on the due time)."""
    return (
        select(NurtureEnrolment)
        .where(NurtureEnrolment.status == "active", NurtureEnrolment.next_due_at <= now)
        .order_by(NurtureEnrolment.next_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


async def run_due_steps(domain: Domain, *, limit: int = TICK_BATCH) -> TickReport:
    """Run every step that fell due (one batch); the messages it queued come back for scheduling."""
    now = domain.clock.now()
    report = TickReport(messages=[], calls=[])
    async with domain.transaction() as session:
        due = (await session.scalars(due_enrolments_query(now, limit))).all()
        kept = await _preload(session, due)  # noqa: F841 (strong references keep the identity map warm)
        for enrolment in due:
            lead = await session.get(Lead, enrolment.lead_id)
            reason = await exit_reason(session, lead)
            if reason is not None:
                await end_enrolment(session, enrolment, reason, now)
                report.exited += 1
                continue
            assert lead is not None
            queued = await _run_step(session, domain, enrolment, lead, now, report)
            report.steps += 1
            if queued is not None:
                report.messages.append(queued)  # type: ignore[union-attr]
        for lead, task_id in report.calls or []:  # last: each holds the event-order lock until commit
            await record_lead_event(session, lead, FOLLOW_UP_CALL_EVENT, {"task_id": str(task_id)})
    for message_id, at in report.messages or []:
        await domain.jobs.schedule_nurture_send(message_id, at=at)
    return report


async def _preload(session: AsyncSession, due: Sequence[NurtureEnrolment]) -> list[Any]:
    """Load what a batch's steps read in a few queries, and hold it: the session's identity map keeps
    only weak references, so without this every step would read its practice and office again."""
    if not due:
        return []
    leads = list(await session.scalars(select(Lead).where(Lead.id.in_({e.lead_id for e in due}))))
    practice_ids = {lead.practice_id for lead in leads}
    kept: list[Any] = [*leads]
    for model, column in (
        (NurtureSequenceVersion, NurtureSequenceVersion.id.in_({e.sequence_version_id for e in due})),
        (Practice, Practice.id.in_(practice_ids)),
        (Location, Location.practice_id.in_(practice_ids)),
        (NurtureSettings, NurtureSettings.practice_id.in_(practice_ids)),
        (PracticePhoneSettings, PracticePhoneSettings.practice_id.in_(practice_ids)),
    ):
        kept.extend(await session.scalars(select(model).where(column)))
    return kept


async def _run_step(
    session: AsyncSession,
    domain: Domain,
    enrolment: NurtureEnrolment,
    lead: Lead,
    now: datetime,
    report: TickReport,
) -> tuple[uuid.UUID, datetime] | None:
    """Run the enrolment's current step (or follow its branch) and schedule the next one."""
    version = await session.get(NurtureSequenceVersion, enrolment.sequence_version_id)
    steps: list[dict[str, Any]] = list(version.steps) if version else []
    settings = await session.get(NurtureSettings, lead.practice_id)
    index = enrolment.step_index
    if index >= len(steps):
        await end_enrolment(session, enrolment, "finished", now)
        return None
    step = steps[index]
    branch_to = step.get("branch_to")
    branches = step.get("branch_on") and branch_to is not None and index < int(branch_to) < len(steps)
    scheduling_url = settings.scheduling_url if settings else None
    if branches and await did(session, enrolment, step["branch_on"], scheduling_url):
        index = int(branch_to)  # type: ignore[arg-type]
        step = steps[index]
    queued = await _perform(session, domain, enrolment, lead, index, step, settings, now, report)
    enrolment.step_index = index + 1
    enrolment.last_step_at = now
    if enrolment.step_index >= len(steps):
        enrolment.next_due_at = None
        await end_enrolment(session, enrolment, "finished", now)
    else:
        wait = timedelta(minutes=int(steps[enrolment.step_index].get("wait_minutes") or 0))
        enrolment.next_due_at = now + wait
    return queued


def variant_of(lead_id: uuid.UUID, step_index: int) -> str:
    """A or B, the same for a lead every time (a hash of its id, not a coin flip)."""
    digest = hashlib.sha256(f"{lead_id}:{step_index}".encode()).digest()
    return "B" if digest[0] % 2 else "A"


async def _perform(
    session: AsyncSession,
    domain: Domain,
    enrolment: NurtureEnrolment,
    lead: Lead,
    index: int,
    step: dict[str, Any],
    settings: NurtureSettings | None,
    now: datetime,
    report: TickReport,
) -> tuple[uuid.UUID, datetime] | None:
    """One step: a staff call task, or an outbox message (a high-score lead gets the call instead)."""
    action = step.get("action")
    high_value = (
        settings is not None
        and settings.call_task_score is not None
        and lead.score is not None
        and lead.score >= settings.call_task_score
    )
    if action == "call" or (high_value and action in ("email", "sms")):
        task = NurtureCallTask(
            id=uuid.uuid4(),
            practice_id=lead.practice_id,
            location_id=lead.location_id,
            lead_id=lead.id,
            enrolment_id=enrolment.id,
            step_index=index,
            due_at=now,
            status="open",
            reason="call_step" if action == "call" else "high_score",
            created_at=now,
        )
        session.add(task)
        report.calls.append((lead, task.id))  # type: ignore[union-attr]
        return None
    variant = variant_of(lead.id, index) if step.get("variant_template") else "A"
    key = step.get("variant_template") if variant == "B" else step.get("template")
    message: NurtureMessage = await compose_message(
        session, domain, enrolment, lead, index, str(action), str(key or ""), variant, settings, now
    )
    session.add(message)
    if message.status == "queued":
        return message.id, message.send_after or now
    return None
