"""Stage counts and stage-to-stage conversion over a set of leads; treatment acceptance by provider."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from router.funnel.stages import CHAIN, LEAD_STAGES, LeadFacts

SMALL_CASELOAD = 20
"""Below this many visits a provider's acceptance rate is shown, but marked as too few to compare."""


@dataclass(frozen=True, slots=True)
class StageRow:
    """One stage: how many leads reached it, and what share of the previous stage did."""

    stage: str
    count: int
    conversion: float | None
    """Share of the previous stage's count; None for the first stage or an empty previous one."""


@dataclass(frozen=True, slots=True)
class ProviderAcceptance:
    """Completed first visits with a provider, and how many of those patients accepted treatment."""

    provider_id: uuid.UUID
    presented: int
    accepted: int

    @property
    def rate(self) -> float:
        return self.accepted / self.presented if self.presented else 0.0

    @property
    def few(self) -> bool:
        return self.presented < SMALL_CASELOAD


def stage_rows(leads: list[LeadFacts]) -> list[StageRow]:
    """Counts of the chain's stages (inquired to finished treatment), each against the one before."""
    counts = Counter(stage for lead in leads for stage in lead.reached())
    rows: list[StageRow] = []
    previous: int | None = None
    for stage in CHAIN:
        count = counts.get(stage, 0)
        rows.append(StageRow(stage, count, count / previous if previous else None))
        previous = count
    return rows


def cancelled_count(leads: list[LeadFacts]) -> int:
    """Leads that booked and whose every appointment was then cancelled (not counted as scheduled)."""
    return sum(1 for lead in leads if lead.booking_cancelled())


def ad_click_count(leads: list[LeadFacts]) -> int:
    return sum(1 for lead in leads if "click" in lead.reached())


def leads_at(leads: list[LeadFacts], stage: str) -> list[LeadFacts]:
    """The leads that reached `stage`, newest inquiry first."""
    if stage not in LEAD_STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    reached = [lead for lead in leads if stage in lead.reached()]
    return sorted(reached, key=lambda lead: lead.received_at, reverse=True)


def provider_acceptance(leads: list[LeadFacts]) -> list[ProviderAcceptance]:
    """Per provider: treatment plans presented and accepted (from the PMS), largest caseload first.

    A practice whose PMS sends no treatment plans gets a stand-in: completed visits as "presented"
    and the lead's treatment-accepted stage as "accepted". Sorted by caseload, so a provider with 3
    cases is never ranked above one with 300 by a lucky rate.
    """
    presented: Counter[uuid.UUID] = Counter()
    accepted: Counter[uuid.UUID] = Counter()
    if any(lead.plans for lead in leads):
        for plan in (p for lead in leads for p in lead.plans if p.provider_id and p.presented):
            presented[plan.provider_id] += 1
            accepted[plan.provider_id] += plan.accepted_at is not None
    else:
        for lead in leads:
            took = "treatment_accepted" in lead.reached()
            for provider in lead.completed_visit_providers():
                presented[provider] += 1
                accepted[provider] += took
    rows = [ProviderAcceptance(p, presented[p], accepted[p]) for p in presented]
    return sorted(rows, key=lambda r: (-r.presented, -r.rate, str(r.provider_id)))
