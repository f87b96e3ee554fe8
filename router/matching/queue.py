"""Matching a practice's leads to its patients in the worker, and the managers' review queue.

Each run scores the practice's unlinked leads against its patients, links the sure ones at once
and queues the unsure ones (a pair is queued once; a rejected pair is never queued again). A
manager accepts (the lead is linked) or rejects each pair; both are audited, and reading the pair's
fields is an audited read of the lead and of the patient.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.patients import linked_patient_exit
from router.core.domain import Domain
from router.core.errors import ActionRefused
from router.core.models import Lead, MatchReview, Practice
from router.core.phi_columns import (
    LEAD_DATE_OF_BIRTH,
    LEAD_EMAIL,
    LEAD_FIRST_NAME,
    LEAD_LAST_NAME,
    LEAD_PHONE,
)
from router.core.ports import PatientDirectory
from router.matching.decisions import Thresholds, decide
from router.matching.linkage import score_pairs
from router.nurture.review_hold import Resumed, pause_for_review, resume_after_review, settle_after_link
from router.practices.settings import PracticeSettings
from router.privacy import audit
from router.privacy.access import Viewer, require

MATCH_WINDOW = timedelta(days=400)
"""Leads of the last 13 months are matched: older ones' outcomes no longer feed the funnel or labels."""

MATCHER = audit.Actor.system("matcher")


def lead_record(domain: Domain, lead: Lead) -> dict[str, Any]:
    """The lead as the matcher compares it (decrypted in memory only)."""

    def unseal(blob: bytes | None, column: Any) -> str | None:
        return domain.cipher.open(blob, column=column, row_id=lead.id)

    return {
        "record_id": str(lead.id),
        "first_name": unseal(lead.first_name_enc, LEAD_FIRST_NAME),
        "last_name": unseal(lead.last_name_enc, LEAD_LAST_NAME),
        "phone": unseal(lead.phone_enc, LEAD_PHONE),
        "email": unseal(lead.email_enc, LEAD_EMAIL),
        "date_of_birth": unseal(lead.date_of_birth_enc, LEAD_DATE_OF_BIRTH),
        "zip": lead.zip,
    }


@dataclass(frozen=True, slots=True)
class MatchRun:
    leads: int
    patients: int
    linked: int
    queued: int


async def match_practice(
    domain: Domain, directory: PatientDirectory, practice_id: uuid.UUID, *, now: datetime
) -> MatchRun:
    """One practice's run: read, score off the event loop, then link and queue in one transaction."""
    async with domain.sessionmaker() as session:
        patients = await directory.patient_records(session, practice_id)
        if not patients:  # nothing to match against: no lead is decrypted for nothing
            return MatchRun(leads=0, patients=0, linked=0, queued=0)
        practice = await session.get(Practice, practice_id)
        settings = PracticeSettings.from_json(practice.settings if practice else {})
        linked = await directory.lead_links(session, practice_id)
        leads = (
            await session.scalars(
                select(Lead).where(
                    Lead.practice_id == practice_id,
                    Lead.received_at >= now - MATCH_WINDOW,
                    Lead.phi_purged_at.is_(None),
                )
            )
        ).all()
        records = [lead_record(domain, lead) for lead in leads if lead.id not in linked]
    thresholds = Thresholds(auto_link=settings.match_auto_link, review=settings.match_review)
    pairs = await asyncio.to_thread(score_pairs, records, patients)
    decisions = decide(pairs, thresholds)
    linked_now = queued = 0
    resumed: Resumed = []
    async with domain.sessionmaker() as session, session.begin():
        rejected = await _rejected_pairs(session, practice_id)
        for decision in decisions:
            lead_id, patient_id = uuid.UUID(decision.pair.lead_id), uuid.UUID(decision.pair.patient_id)
            if (lead_id, patient_id) in rejected:
                continue
            if decision.outcome == "link":
                resumed += await _auto_link(directory, session, practice_id, decision.pair, now=now)
                linked_now += 1
            elif await _queue(session, practice_id, decision.pair, now=now):
                queued += 1
                await pause_for_review(session, lead_id)
    await _schedule(domain, resumed)
    return MatchRun(leads=len(records), patients=len(patients), linked=linked_now, queued=queued)


async def _auto_link(
    directory: PatientDirectory, session: AsyncSession, practice_id: uuid.UUID, pair: Any, *, now: datetime
) -> Resumed:
    """Link a sure pair, audited; the lead's follow-up leaves or goes on by what the PMS shows."""
    lead_id, patient_id = uuid.UUID(pair.lead_id), uuid.UUID(pair.patient_id)
    await directory.link(
        session,
        practice_id=practice_id,
        lead_id=lead_id,
        patient_id=patient_id,
        method="matcher",
        probability=pair.probability,
    )
    audit.record(
        session,
        actor=MATCHER,
        action="match.linked",
        practice_id=practice_id,
        lead_id=lead_id,
        details={"patient": str(patient_id), "probability": round(pair.probability, 4)},
    )
    return await _after_link(session, lead_id, patient_id, now)


async def _after_link(
    session: AsyncSession, lead_id: uuid.UUID, patient_id: uuid.UUID, now: datetime
) -> Resumed:
    lead = await session.get(Lead, lead_id)
    reason = await linked_patient_exit(session, lead, patient_id) if lead is not None else None
    return await settle_after_link(session, lead_id, reason, now)


async def _schedule(domain: Domain, resumed: Resumed) -> None:
    """After commit: the resumed sequences' queued messages go to the sender again."""
    for message_id, at in resumed:
        await domain.jobs.schedule_nurture_send(message_id, at=at)


async def _rejected_pairs(session: AsyncSession, practice_id: uuid.UUID) -> set[tuple[uuid.UUID, uuid.UUID]]:
    rows = await session.execute(
        select(MatchReview.lead_id, MatchReview.patient_id).where(
            MatchReview.practice_id == practice_id, MatchReview.status == "rejected"
        )
    )
    return {(lead, patient) for lead, patient in rows}


async def _queue(session: AsyncSession, practice_id: uuid.UUID, pair: Any, *, now: datetime) -> int:
    """Insert the pair once (a second run finds it already there and adds nothing); 1 when new."""
    inserted = await session.execute(
        insert(MatchReview)
        .values(
            id=uuid.uuid4(),
            practice_id=practice_id,
            lead_id=uuid.UUID(pair.lead_id),
            patient_id=uuid.UUID(pair.patient_id),
            probability=pair.probability,
            agreement=pair.agreement,
            status="pending",
            created_at=now,
        )
        .on_conflict_do_nothing(constraint="uq_match_reviews_lead_patient")
        .returning(MatchReview.id)
    )
    return 1 if inserted.first() else 0


async def match_leads_task(ctx: dict[str, Any]) -> dict[str, Any]:
    """The worker's matching run over every practice, through the domain's patient directory."""
    domain: Domain = ctx["domain"]
    directory = domain.patients
    totals = {"practices": 0, "linked": 0, "queued": 0}
    async with domain.sessionmaker() as session:
        practice_ids = (await session.scalars(select(Practice.id))).all()
    for practice_id in practice_ids:
        run = await match_practice(domain, directory, practice_id, now=domain.clock.now())
        totals["practices"] += 1
        totals["linked"] += run.linked
        totals["queued"] += run.queued
    return totals


async def decide_review(
    domain: Domain,
    viewer: Viewer,
    review_id: uuid.UUID,
    *,
    accept: bool,
    actor: audit.Actor,
) -> MatchReview:
    """Accept (link the lead to the patient) or reject one queued pair; audited, refused if not theirs."""
    require(viewer, "matching.review")
    async with domain.sessionmaker() as session, session.begin():
        review = await session.scalar(
            select(MatchReview)
            .join(Lead, Lead.id == MatchReview.lead_id)
            .where(
                MatchReview.id == review_id,
                MatchReview.practice_id == viewer.practice_id,
                viewer.work_filter(),
            )
            .with_for_update(of=MatchReview)
        )
        if review is None:
            raise ActionRefused("That match is not in your review queue.")
        if review.status != "pending":
            raise ActionRefused(f"That match was already {review.status}.")
        now = domain.clock.now()
        review.status = "accepted" if accept else "rejected"
        review.decided_by_user_id, review.decided_at = viewer.user_id, now
        if accept:
            await domain.patients.link(
                session,
                practice_id=review.practice_id,
                lead_id=review.lead_id,
                patient_id=review.patient_id,
                method="review",
                probability=review.probability,
            )
            await _close_others(session, review, viewer, now)
            resumed = await _after_link(session, review.lead_id, review.patient_id, now)
        else:
            resumed = await resume_after_review(session, review.lead_id, now)
        audit.record(
            session,
            actor=actor,
            action="match.accepted" if accept else "match.rejected",
            practice_id=review.practice_id,
            lead_id=review.lead_id,
            details={"patient": str(review.patient_id), "review": str(review.id)},
        )
    await _schedule(domain, resumed)
    return review


async def _close_others(session: AsyncSession, review: MatchReview, viewer: Viewer, now: datetime) -> None:
    """Once a lead is linked, its other candidates in the queue are rejected with it."""
    others = await session.scalars(
        select(MatchReview).where(
            MatchReview.lead_id == review.lead_id,
            MatchReview.id != review.id,
            MatchReview.status == "pending",
        )
    )
    for other in others:
        other.status, other.decided_by_user_id, other.decided_at = "rejected", viewer.user_id, now
