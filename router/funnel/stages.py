"""The funnel's stages and what one lead has reached, built from recorded facts (never staff guesses
where the practice-management system says otherwise)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

LEAD_STAGES = (
    "click",
    "lead",
    "contacted",
    "appointment_scheduled",
    "appointment_completed",
    "treatment_accepted",
    "treatment_completed",
)
"""Per-lead stages in order; impressions and ad clicks before them are channel totals (ad spend)."""

STAGE_WORDS = {
    "impressions": "Ad impressions",
    "ad_clicks": "Ad clicks (platform totals)",
    "click": "Came from an ad click",
    "lead": "Inquired",
    "contacted": "Contacted",
    "appointment_scheduled": "Scheduled",
    "appointment_completed": "Came to the visit",
    "treatment_accepted": "Accepted treatment",
    "treatment_completed": "Finished treatment",
}

CHAIN = LEAD_STAGES[1:]
"""The stages every lead walks in order (an ad click is only where the tracking script saw one)."""


@dataclass(frozen=True, slots=True)
class AppointmentFact:
    """One appointment of the lead, as stored (booked in the product or synced from the PMS)."""

    id: uuid.UUID
    status: str
    source: str
    starts_at: datetime
    provider_id: uuid.UUID | None = None
    in_pms: bool = False
    """Known to the practice-management system (synced from it or written to it)."""


@dataclass(frozen=True, slots=True)
class PlanFact:
    """A treatment plan of the lead's linked patient, from the PMS."""

    provider_id: uuid.UUID | None
    presented: bool
    accepted_at: datetime | None
    completed_at: datetime | None


@dataclass(slots=True)
class LeadFacts:
    """What is recorded about one lead: its funnel events, appointments, close and patient link."""

    lead_id: uuid.UUID
    received_at: datetime
    location_id: uuid.UUID | None = None
    channel: str = ""
    treatment: str | None = None
    close_reason: str | None = None
    closed_at: datetime | None = None
    first_contact_at: datetime | None = None
    ad_click_at: datetime | None = None
    events: dict[str, datetime] = field(default_factory=dict)
    """Earliest funnel event per stage."""
    appointments: list[AppointmentFact] = field(default_factory=list)
    patient_id: uuid.UUID | None = None
    """The patient the lead is linked to (auto-link or accepted review), if any."""
    plans: list[PlanFact] = field(default_factory=list)

    def reached(self) -> dict[str, datetime]:
        """When the lead reached each stage it has reached, from events and appointments."""
        at: dict[str, datetime] = {"lead": self.received_at}
        if self.ad_click_at:
            at["click"] = self.ad_click_at
        contacted = [t for t in (self.first_contact_at, self.events.get("contacted")) if t]
        if contacted:
            at["contacted"] = min(contacted)
        booked = [a for a in self.appointments if a.status != "cancelled"]
        scheduled = [t for t in [self.events.get("appointment_scheduled")] if t]
        if booked or (scheduled and not self.booking_cancelled()):
            at["appointment_scheduled"] = min(scheduled) if scheduled else min(a.starts_at for a in booked)
        completed = [a.starts_at for a in self.appointments if a.status == "completed"]
        if "appointment_completed" in self.events:
            completed.append(self.events["appointment_completed"])
        if completed:
            at["appointment_completed"] = min(completed)
        for stage, attribute in (
            ("treatment_accepted", "accepted_at"),
            ("treatment_completed", "completed_at"),
        ):
            moments = [getattr(p, attribute) for p in self.plans if getattr(p, attribute)]
            if stage in self.events:
                moments.append(self.events[stage])
            if moments:
                at[stage] = min(moments)
        return at

    def booking_cancelled(self) -> bool:
        """Every appointment the lead had was cancelled: the funnel counts it as cancelled, not scheduled."""
        return bool(self.appointments) and all(a.status == "cancelled" for a in self.appointments)

    def completed_visit_providers(self) -> set[uuid.UUID]:
        return {a.provider_id for a in self.appointments if a.status == "completed" and a.provider_id}
