"""The funnel's consistency checks, as pure rules over recorded facts: each finding names its leads.

Rules (`RULES`): an impossible jump (a visit or treatment without contact or scheduling on record),
a completed visit with no completed appointment, a booked close with no appointment in the PMS 48
hours later, two leads linked to one patient within `DUPLICATE_WINDOW`, and a gap (a stage counting
more leads than the stage before it).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from router.funnel.stages import CHAIN, LeadFacts

BOOKED_GRACE = timedelta(hours=48)
"""A booking typed into the PMS by hand normally reaches us with the next sync; two days is late."""

DUPLICATE_WINDOW = timedelta(days=30)
"""Two inquiries of one patient within a month are one episode of care counted twice."""

RULES = {
    "impossible_jump": "Visit or treatment with no contact or scheduling on record",
    "completed_without_appointment": "Completed visit with no completed appointment",
    "booked_not_in_pms": "Closed as booked, no appointment in the practice-management system after 48 hours",
    "duplicate": "Two leads linked to one patient in the same period",
    "gap": "More leads at a stage than at the stage before it",
}
"""Every rule and its heading on the checks page."""

RESOLUTIONS = {
    "impossible_jump": ("link", "dismiss"),
    "completed_without_appointment": ("link", "dismiss"),
    "booked_not_in_pms": ("link", "dismiss"),
    "duplicate": ("merge", "dismiss"),
    "gap": ("dismiss",),
}
"""How each kind of finding may be resolved: link an appointment, merge leads, or dismiss with a reason."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One inconsistency: which rule, which leads, and non-identifying details for the page."""

    rule: str
    lead_ids: tuple[uuid.UUID, ...]
    details: dict[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Stable across runs, so a nightly check never lists the same finding twice."""
        key = (
            self.rule + ":" + ",".join(sorted(str(i) for i in self.lead_ids)) + self.details.get("stage", "")
        )
        return hashlib.sha256(key.encode()).hexdigest()[:32]


def impossible_jumps(leads: list[LeadFacts]) -> list[Finding]:
    found = []
    for lead in leads:
        reached = lead.reached()
        later = [
            s for s in ("appointment_completed", "treatment_accepted", "treatment_completed") if s in reached
        ]
        missing = [s for s in ("contacted", "appointment_scheduled") if s not in reached]
        if later and missing:
            found.append(
                Finding("impossible_jump", (lead.lead_id,), {"reached": later[0], "missing": missing[0]})
            )
    return found


def completed_without_appointment(leads: list[LeadFacts]) -> list[Finding]:
    return [
        Finding("completed_without_appointment", (lead.lead_id,))
        for lead in leads
        if "appointment_completed" in lead.events
        and not any(a.status == "completed" for a in lead.appointments)
    ]


def booked_not_in_pms(leads: list[LeadFacts], *, now: datetime, practice_uses_pms: bool) -> list[Finding]:
    """Only where the practice's PMS sends appointments at all: otherwise nothing could be found."""
    if not practice_uses_pms:
        return []
    return [
        Finding("booked_not_in_pms", (lead.lead_id,))
        for lead in leads
        if lead.close_reason == "appointment_booked"
        and lead.closed_at is not None
        and now - lead.closed_at >= BOOKED_GRACE
        and not any(a.in_pms and a.status != "cancelled" for a in lead.appointments)
    ]


def duplicates(leads: list[LeadFacts]) -> list[Finding]:
    by_patient: dict[uuid.UUID, list[LeadFacts]] = defaultdict(list)
    for lead in leads:
        if lead.patient_id is not None:
            by_patient[lead.patient_id].append(lead)
    found = []
    for linked in by_patient.values():
        linked.sort(key=lambda lead: lead.received_at)
        for first, second in pairwise(linked):
            if second.received_at - first.received_at <= DUPLICATE_WINDOW:
                found.append(Finding("duplicate", (first.lead_id, second.lead_id)))
    return found


def gaps(leads: list[LeadFacts]) -> list[Finding]:
    """A stage with more leads than the one before it, listing the leads that skipped the earlier one."""
    found = []
    reached = {lead.lead_id: lead.reached() for lead in leads}
    for earlier, later in pairwise(CHAIN):
        at_earlier = sum(1 for r in reached.values() if earlier in r)
        skipped = tuple(sorted(i for i, r in reached.items() if later in r and earlier not in r))
        if skipped and sum(1 for r in reached.values() if later in r) > at_earlier:
            found.append(Finding("gap", skipped, {"stage": later, "previous": earlier}))
    return found


def check_funnel(leads: list[LeadFacts], *, now: datetime, practice_uses_pms: bool) -> list[Finding]:
    """Every rule over one practice's leads."""
    return [
        *impossible_jumps(leads),
        *completed_without_appointment(leads),
        *booked_not_in_pms(leads, now=now, practice_uses_pms=practice_uses_pms),
        *duplicates(leads),
        *gaps(leads),
    ]
