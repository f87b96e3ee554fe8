"""Review requests: after a new patient's first completed visit, one message with the review link.

The worker looks once a minute for visits the PMS reported completed in the last `LOOKBACK` that are
their patient's first completed visit, at practices that turned review requests on, for patients
linked to a lead (the outbox writes to a lead: its contact details and consent are on file here;
a patient known only to the PMS is not asked, and is picked up if linked to a lead within the
lookback). Each visit gets one outbox row at most (a unique index), and a patient at most one review
request in 12 months: the check and the insert happen under the patient's row lock, so two workers,
or a sync racing the sweep, cannot both ask. An open complaint leaves a cancelled row saying so.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import aliased

from router.core.domain import Domain
from router.core.models import Appointment, Lead, LeadPatientMatch, NurtureMessage, Patient, Practice
from router.nurture.consent import complaint_open
from router.nurture.one_off import OneOff, compose_one_off
from router.practices.settings import PracticeSettings

log = logging.getLogger("leadrouter.reviews")

LOOKBACK = timedelta(days=14)
"""A completed visit is considered for this long after the PMS reported it: a patient linked to their
lead a few days later (the matching review queue) is still asked, a visit from last year is not."""
PURPOSE = "review_request"
TEMPLATES = {"sms": "review-request-text", "email": "review-request"}
"""A text first where the patient agreed to texts (a review is written on the phone), else an email."""
COMPLAINT_DETAIL = "not asked: a complaint about the patient was open"
SWEEP_LIMIT = 200


def a_year_before(moment: datetime) -> datetime:
    """The same wall-clock instant 12 months earlier (29 February falls back to the 28th)."""
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:
        return moment.replace(year=moment.year - 1, day=28)


def asked_within_a_year(patient_id: Any, now: datetime) -> ColumnElement[bool]:
    """SQL: the patient has a review request from the last 12 months that was not cancelled."""
    return exists().where(
        NurtureMessage.patient_id == patient_id,
        NurtureMessage.purpose == PURPOSE,
        NurtureMessage.status != "cancelled",
        NurtureMessage.created_at > a_year_before(now),
    )


def _first_completed_visit() -> ColumnElement[bool]:
    earlier = aliased(Appointment)
    return ~exists().where(
        earlier.patient_id == Appointment.patient_id,
        earlier.status == "completed",
        earlier.id != Appointment.id,
        earlier.starts_at <= Appointment.starts_at,
        # two completed visits at the same minute: the one with the smaller id counts as first
        (earlier.starts_at < Appointment.starts_at) | (earlier.id < Appointment.id),
    )


def _linked_to_a_lead() -> ColumnElement[bool]:
    return exists().where(LeadPatientMatch.patient_id == Appointment.patient_id)


async def due_visits(domain: Domain, now: datetime, *, limit: int = SWEEP_LIMIT) -> list[uuid.UUID]:
    """Completed first visits of linked patients at practices that ask, not yet answered."""
    async with domain.sessionmaker() as session:
        return list(
            await session.scalars(
                select(Appointment.id)
                .join(Practice, Practice.id == Appointment.practice_id)
                .where(
                    Appointment.status == "completed",
                    Appointment.patient_id.is_not(None),
                    func.coalesce(Appointment.updated_at, Appointment.created_at) >= now - LOOKBACK,
                    Practice.settings["review_requests"].as_boolean().is_(True),
                    ~exists().where(
                        NurtureMessage.appointment_id == Appointment.id, NurtureMessage.purpose == PURPOSE
                    ),
                    ~asked_within_a_year(Appointment.patient_id, now),
                    _first_completed_visit(),
                    _linked_to_a_lead(),
                )
                .order_by(Appointment.starts_at)
                .limit(limit)
            )
        )


async def request_review(domain: Domain, appointment_id: uuid.UUID) -> str:
    """Queue the review request for one completed visit, or say why not; safe to run twice at once."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        appointment = await session.get(Appointment, appointment_id)
        if appointment is None or appointment.patient_id is None or appointment.status != "completed":
            return "not a completed visit"
        # Everything below runs one patient at a time: a second worker waits here, then sees the first's row.
        patient = await session.get(Patient, appointment.patient_id, with_for_update=True)
        practice = await session.get(Practice, appointment.practice_id)
        if patient is None or practice is None:
            return "no patient"
        settings = PracticeSettings.from_json(practice.settings)
        if not settings.review_requests or not settings.review_page_url:
            return "review requests are off"
        still_due = await session.scalar(
            select(
                and_(
                    ~exists().where(
                        NurtureMessage.appointment_id == appointment.id, NurtureMessage.purpose == PURPOSE
                    ),
                    ~asked_within_a_year(patient.id, now),
                )
            )
        )
        if not still_due:
            return "already asked"
        lead = await _lead_of(session, patient.id)
        if lead is None:
            return "no lead"
        what = OneOff(
            purpose=PURPOSE,
            templates=dict(TEMPLATES),
            values={"review_link": settings.review_page_url},
            patient_id=patient.id,
            appointment_id=appointment.id,
        )
        message = await compose_one_off(session, domain, lead, what, now=now)
        if await session.scalar(select(complaint_open(patient_id=patient.id, lead_id=lead.id))):
            message.status, message.detail = "cancelled", COMPLAINT_DETAIL
        session.add(message)
        status, send_after, message_id = message.status, message.send_after, message.id
    if status == "queued" and send_after is not None:
        await domain.jobs.schedule_nurture_send(message_id, at=send_after)
    return status


async def _lead_of(session: Any, patient_id: uuid.UUID) -> Lead | None:
    """The patient's lead to write to: the most recently linked."""
    return await session.scalar(
        select(Lead)
        .join(LeadPatientMatch, LeadPatientMatch.lead_id == Lead.id)
        .where(LeadPatientMatch.patient_id == patient_id)
        .order_by(LeadPatientMatch.created_at.desc())
        .limit(1)
    )


async def queue_review_requests(domain: Domain) -> dict[str, int]:
    """The sweep: every due visit gets its answer (queued, held, blocked, or cancelled for a complaint)."""
    outcomes: dict[str, int] = {}
    for appointment_id in await due_visits(domain, domain.clock.now()):
        outcome = await request_review(domain, appointment_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


async def review_requests_task(ctx: dict[str, Any]) -> dict[str, int]:
    """arq cron: ask new patients whose first visit was completed for a review."""
    return await queue_review_requests(ctx["domain"])
