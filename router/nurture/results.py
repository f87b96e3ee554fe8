"""How sequences do: per step (waiting, reached, booked after), per A/B variant, per sequence.

Counts read enrolments and the outbox of every version of a sequence; a booking is an enrolment that
exited because the lead booked (router.nurture.exits.booked decides that).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import (
    NurtureCallTask,
    NurtureEnrolment,
    NurtureMessage,
    NurtureSequenceVersion,
    SmsMessage,
)
from router.nurture.abtest import Counts, Verdict, compare


@dataclass
class StepResult:
    index: int
    waiting: int = 0
    reached: int = 0
    booked_after: int = 0

    @property
    def conversion(self) -> float | None:
        return self.booked_after / self.reached if self.reached else None


@dataclass
class VariantResult:
    variant: str
    sends: int
    opens: int
    clicks: int
    replies: int
    bookings: int


@dataclass
class SequenceResult:
    enrolled: int = 0
    active: int = 0
    booked: int = 0
    steps: dict[int, StepResult] = field(default_factory=dict)
    variants: dict[int, list[VariantResult]] = field(default_factory=dict)
    verdicts: dict[int, Verdict] = field(default_factory=dict)

    @property
    def conversion(self) -> float | None:
        return self.booked / self.enrolled if self.enrolled else None


def _versions(sequence_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return select(NurtureSequenceVersion.id).where(NurtureSequenceVersion.sequence_id == sequence_id)


async def sequence_result(session: AsyncSession, sequence_id: uuid.UUID, step_count: int) -> SequenceResult:
    result = SequenceResult(steps={i: StepResult(i) for i in range(step_count)})
    mine = NurtureEnrolment.sequence_version_id.in_(_versions(sequence_id))
    booked = NurtureEnrolment.exit_reason == "booked"
    totals = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(NurtureEnrolment.status == "active"),
                func.count().filter(booked),
            ).where(mine)
        )
    ).one()
    result.enrolled, result.active, result.booked = totals
    waiting = await session.execute(
        select(NurtureEnrolment.step_index, func.count())
        .where(mine, NurtureEnrolment.status == "active")
        .group_by(NurtureEnrolment.step_index)
    )
    for index, count in waiting.all():
        if index in result.steps:
            result.steps[index].waiting = count
    for table in (NurtureMessage, NurtureCallTask):
        reached = await session.execute(
            select(table.step_index, func.count(), func.count().filter(booked))
            .join(NurtureEnrolment, NurtureEnrolment.id == table.enrolment_id)
            .where(mine)
            .group_by(table.step_index)
        )
        for index, count, booked_after in reached.all():
            if index in result.steps:
                result.steps[index].reached += count
                result.steps[index].booked_after += booked_after
    await _variants(session, mine, result)
    return result


async def _variants(session: AsyncSession, mine, result: SequenceResult) -> None:  # type: ignore[no-untyped-def]
    texted_back = and_(
        NurtureMessage.sent_at.is_not(None),
        exists().where(
            SmsMessage.lead_id == NurtureMessage.lead_id,
            SmsMessage.direction == "inbound",
            SmsMessage.created_at >= NurtureMessage.sent_at,
        ),
    )
    rows = await session.execute(
        select(
            NurtureMessage.step_index,
            NurtureMessage.variant,
            func.count().filter(NurtureMessage.status == "sent"),
            func.count(NurtureMessage.opened_at),
            func.count(NurtureMessage.clicked_at),
            func.count().filter(or_(NurtureMessage.replied_at.is_not(None), texted_back)),
            func.sum(case((NurtureEnrolment.exit_reason == "booked", 1), else_=0)),
        )
        .join(NurtureEnrolment, NurtureEnrolment.id == NurtureMessage.enrolment_id)
        .where(mine)
        .group_by(NurtureMessage.step_index, NurtureMessage.variant)
        .order_by(NurtureMessage.step_index, NurtureMessage.variant)
    )
    for index, variant, sends, opens, clicks, replies, bookings in rows.all():
        result.variants.setdefault(index, []).append(
            VariantResult(variant, sends, opens, clicks, replies, int(bookings or 0))
        )
    for index, variants in result.variants.items():
        by = {v.variant: v for v in variants}
        if "A" in by and "B" in by:
            result.verdicts[index] = compare(
                Counts(by["A"].bookings, by["A"].sends), Counts(by["B"].bookings, by["B"].sends)
            )
