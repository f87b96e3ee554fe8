"""Each person's ordered journey of touchpoints, stitched and cut at the practice's conversion stage.

Stitching happens here, when journeys are built, not at intake: anonymous web visits (touchpoints
with no lead, recorded by the first-party script under a visitor id) join the lead whose inquiry
carried the same visitor id. Building late means a visit recorded after the form (the script's post
can arrive later than the webhook) is still stitched, intake stays on its hot path, and the anonymous
rows stay anonymous in the table; the first lead that sent a visitor id owns that visitor's visits.

A journey converts when its lead reached the chosen funnel stage or any later one (a treatment
accepted was also scheduled); touches after that moment are dropped, because they did not lead to
it. Visitors who never became a lead are journeys that did not convert (nulls), as are leads that
never reached the stage. The conversion value is the lead's known patient value (`patient_values`:
from the PMS, staff or the simulator); a converted lead without one counts 0 in value credit.

Channels: a touchpoint keeps the channel it was stored with (a call takes its tracking number's
channel), except referrals and walk-ins, whose kind names the channel: a physician's referral is
`physician_referral` however the referral arrived.

Journeys are plain data: aggregating them into paths and crediting channels is the attribution
package's job, reached through the domain's `AttributionEngine` port (see router/ports.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import FUNNEL_STAGES, FunnelEvent, PatientValue, Touchpoint

KIND_CHANNELS = {"referral": "physician_referral", "walk_in": "walk_in"}
"""Touchpoint kinds whose channel is the kind itself, whatever the classifier said."""


def stages_counting_as(stage: str) -> tuple[str, ...]:
    """The funnel stages that mean `stage` was reached: it and every later one."""
    return FUNNEL_STAGES[FUNNEL_STAGES.index(stage) :]


@dataclass(frozen=True)
class Journey:
    """One person's touches in time order, and whether (and for how much) they converted."""

    lead_id: uuid.UUID | None
    """None for a visitor who never sent an inquiry."""
    channels: tuple[str, ...]
    touched_at: tuple[datetime, ...]
    converted: bool
    value: float = 0.0
    stitched_visits: int = 0
    """Anonymous web visits joined to this lead by visitor id."""


@dataclass
class PracticeJourneys:
    """A practice's journeys of one window, with how they were stitched (plain data, no attribution types)."""

    conversion_stage: str
    journeys: list[Journey] = field(default_factory=list)

    @property
    def conversions(self) -> int:
        return sum(journey.converted for journey in self.journeys)

    @property
    def stitched_visits(self) -> int:
        return sum(journey.stitched_visits for journey in self.journeys)

    @property
    def has_values(self) -> bool:
        """Whether any converted journey has a known patient value (then value credit is computed)."""
        return any(journey.value > 0 for journey in self.journeys if journey.converted)

    def value_by_first_channel(self, channel: str) -> tuple[int, float]:
        """(converted patients, their known value) of the journeys that started with `channel`."""
        started = [j for j in self.journeys if j.converted and j.channels[0] == channel]
        return len(started), sum(j.value for j in started)


async def _conversions(
    session: AsyncSession, practice_id: uuid.UUID, stage: str, until: datetime
) -> dict[uuid.UUID, datetime]:
    """When each lead first reached the stage (or a later one) before `until`."""
    rows = await session.execute(
        select(FunnelEvent.lead_id, func.min(FunnelEvent.occurred_at))
        .where(
            FunnelEvent.practice_id == practice_id,
            FunnelEvent.stage.in_(stages_counting_as(stage)),
            FunnelEvent.occurred_at < until,
        )
        .group_by(FunnelEvent.lead_id)
    )
    return {lead_id: at for lead_id, at in rows.tuples()}


async def _visitor_owners(session: AsyncSession, practice_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """Visitor id -> the first lead whose inquiry carried it."""
    rows = await session.execute(
        select(Touchpoint.visitor_id, Touchpoint.lead_id)
        .where(
            Touchpoint.practice_id == practice_id,
            Touchpoint.lead_id.is_not(None),
            Touchpoint.visitor_id.is_not(None),
        )
        .distinct(Touchpoint.visitor_id)
        .order_by(Touchpoint.visitor_id, Touchpoint.occurred_at)
    )
    return {visitor: lead_id for visitor, lead_id in rows.tuples() if lead_id is not None}


async def _values(session: AsyncSession, practice_id: uuid.UUID) -> dict[uuid.UUID, float]:
    rows = await session.execute(
        select(PatientValue.lead_id, PatientValue.value).where(PatientValue.practice_id == practice_id)
    )
    return {lead_id: float(value) for lead_id, value in rows.tuples()}


async def load_journeys(
    session: AsyncSession,
    practice_id: uuid.UUID,
    *,
    start: datetime,
    end: datetime,
    conversion_stage: str = "appointment_scheduled",
) -> PracticeJourneys:
    """The practice's journeys with touches in [start, end), stitched by visitor id, cut at conversion."""
    conversions = await _conversions(session, practice_id, conversion_stage, end)
    owners = await _visitor_owners(session, practice_id)
    values = await _values(session, practice_id)
    rows = await session.execute(
        select(
            Touchpoint.lead_id,
            Touchpoint.visitor_id,
            Touchpoint.kind,
            Touchpoint.channel,
            Touchpoint.occurred_at,
        )
        .where(
            Touchpoint.practice_id == practice_id,
            Touchpoint.occurred_at >= start,
            Touchpoint.occurred_at < end,
        )
        .order_by(Touchpoint.occurred_at, Touchpoint.id)
    )
    return build_journeys(rows.tuples(), owners, conversions, values, conversion_stage=conversion_stage)


def build_journeys(
    touches: Iterable[tuple[uuid.UUID | None, str | None, str, str, datetime]],
    owners: dict[str, uuid.UUID],
    conversions: dict[uuid.UUID, datetime],
    values: dict[uuid.UUID, float],
    *,
    conversion_stage: str,
) -> PracticeJourneys:
    """Journeys from touches in time order (lead id, visitor id, kind, channel, when): pure, for tests."""
    people: dict[uuid.UUID | str, list[tuple[str, datetime, bool]]] = {}
    for lead_id, visitor_id, kind, channel, occurred_at in touches:
        stitched = lead_id is None and visitor_id is not None and visitor_id in owners
        person: uuid.UUID | str | None = lead_id or (owners.get(visitor_id) if visitor_id else None)
        if person is None:
            if visitor_id is None:
                continue  # an anonymous touch nobody can be followed by
            person = f"visitor:{visitor_id}"
        people.setdefault(person, []).append((KIND_CHANNELS.get(kind, channel), occurred_at, stitched))
    result = PracticeJourneys(conversion_stage=conversion_stage)
    for person, steps in people.items():
        lead_id = person if isinstance(person, uuid.UUID) else None
        converted_at = conversions.get(lead_id) if lead_id else None
        if converted_at is not None:
            steps = [step for step in steps if step[1] <= converted_at]
        if not steps:
            continue
        converted = converted_at is not None
        result.journeys.append(
            Journey(
                lead_id=lead_id,
                channels=tuple(step[0] for step in steps),
                touched_at=tuple(step[1] for step in steps),
                converted=converted,
                value=values.get(lead_id, 0.0) if converted and lead_id else 0.0,
                stitched_visits=sum(step[2] for step in steps),
            )
        )
    return result
