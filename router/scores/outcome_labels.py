"""The training label: a completed visit in the practice-management system within N days of the
inquiry (N per practice, `outcome_window_days`, default 60), else the staff's close reason.

Staff labels are wrong both ways (a "not interested" books a month later; a "booked" never shows),
so once a practice's PMS sends appointments and at least `outcome_label_min_leads` leads are older
than N days, retraining learns from completed visits. Leads younger than N days are left out, never
counted as not converted. The staff close reason is kept beside it as a second signal: the card
says how often the two agree.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Appointment, Lead, Practice
from router.funnel.facts import in_pms_condition, practice_uses_pms
from router.practices.settings import PracticeSettings
from router.scores.history import BOOKED, product_history, stored_scoring_inputs

STAFF_LABEL = "staff close reasons (closed as appointment booked = converted)"


def visit_label(
    received_at: datetime, completed_visits: list[datetime], *, now: datetime, window_days: int
) -> bool | None:
    """True: a completed visit within the window; False: the window passed without one; None: too young."""
    window_end = received_at + timedelta(days=window_days)
    if now < window_end:
        return None
    return any(received_at <= visit <= window_end for visit in completed_visits)


@dataclass(slots=True)
class LabelledHistory:
    """Training rows with the label that made them, in the card's words."""

    source: str
    inputs: list = field(default_factory=list)
    labels: list[bool] = field(default_factory=list)
    received_at: list[datetime] = field(default_factory=list)
    staff_labels: list[bool | None] = field(default_factory=list)
    """The close reason beside each row: booked, another close, or still open (None)."""
    left_out_young: int = 0

    @property
    def staff_agreement(self) -> float | None:
        judged = [
            (pms, staff)
            for pms, staff in zip(self.labels, self.staff_labels, strict=True)
            if staff is not None
        ]
        return sum(pms == staff for pms, staff in judged) / len(judged) if judged else None


async def _completed_visits(session: AsyncSession, practice_id: uuid.UUID) -> dict[uuid.UUID, list[datetime]]:
    rows = await session.execute(
        select(Appointment.lead_id, Appointment.starts_at).where(
            Appointment.practice_id == practice_id,
            Appointment.lead_id.is_not(None),
            Appointment.status == "completed",
            in_pms_condition(),
        )
    )
    visits: dict[uuid.UUID, list[datetime]] = {}
    for lead_id, starts_at in rows:
        visits.setdefault(lead_id, []).append(starts_at)
    return visits


async def visit_history(
    session: AsyncSession, domain: Domain, practice_id: uuid.UUID, *, now: datetime, window_days: int
) -> LabelledHistory:
    """Every lead of the practice whose window has passed, labelled by its completed PMS visits."""
    cutoff = now - timedelta(days=window_days)
    leads = (
        await session.scalars(
            select(Lead)
            .where(Lead.practice_id == practice_id, Lead.received_at <= cutoff)
            .order_by(Lead.received_at)
        )
    ).all()
    visits = await _completed_visits(session, practice_id)
    inputs = await stored_scoring_inputs(session, domain, leads)
    history = LabelledHistory(
        source=f"completed visit within {window_days} days of the inquiry (practice-management data)"
    )
    for lead in leads:
        label = visit_label(lead.received_at, visits.get(lead.id, []), now=now, window_days=window_days)
        if lead.id not in inputs or label is None:
            continue
        history.inputs.append(inputs[lead.id])
        history.labels.append(label)
        history.received_at.append(lead.received_at)
        history.staff_labels.append(lead.close_reason == BOOKED if lead.status == "closed" else None)
    history.left_out_young = int(
        await session.scalar(
            select(func.count()).where(Lead.practice_id == practice_id, Lead.received_at > cutoff)
        )
        or 0
    )
    agreement = history.staff_agreement
    if agreement is not None:
        history.source += f"; staff close reasons agreed on {agreement:.0%} of closed leads"
    return history


async def training_history(
    session: AsyncSession, domain: Domain, practice: Practice, *, now: datetime
) -> LabelledHistory:
    """The PMS label when the practice has enough leads past their window, else the staff label."""
    settings = PracticeSettings.from_json(practice.settings)
    if await practice_uses_pms(session, practice.id):
        visits = await visit_history(
            session, domain, practice.id, now=now, window_days=settings.outcome_window_days
        )
        if len(visits.labels) >= settings.outcome_label_min_leads:
            return visits
    staff = await product_history(session, domain, practice.id)
    return LabelledHistory(
        source=STAFF_LABEL,
        inputs=staff.inputs,
        labels=staff.labels,
        received_at=staff.received_at,
        staff_labels=list(staff.labels),
    )
