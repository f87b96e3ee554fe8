"""A practice's configuration (assignment rules, SLA, after-hours rule), kept as JSON on the practice."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

AFTER_HOURS_RULES = ("start_at_opening", "overflow")
STAFF_STRATEGIES = ("fewest_open", "round_robin")
ATTRIBUTION_CONVERSION_STAGES = (
    "appointment_scheduled",
    "appointment_completed",
    "treatment_accepted",
    "treatment_completed",
)
"""Funnel stages a practice may count as a conversion in attribution (a booking or later)."""


class SettingsError(ValueError):
    """A practice setting with a value we cannot use."""


@dataclass(frozen=True)
class AssignmentRules:
    """Who gets a new lead; every field changes an outcome and has a test that shows it."""

    route_by_zip: bool = True
    """A form without a chosen location goes to the nearest location by ZIP (else the default one)."""
    strategy: str = "fewest_open"
    """fewest_open: fewest open leads, round robin among equals; round_robin: strict rotation."""
    respect_availability: bool = True
    """Only staff marked available get leads (busy staff are skipped; away staff never get any)."""
    respect_shift: bool = True
    """Only staff on shift (their own hours, else the location's) get leads."""
    max_open_leads: int | None = None
    """Staff already holding this many open leads are skipped."""
    priority_score: int | None = None
    """Leads scoring at least this go first to staff marked as handling priority leads."""
    include_managers: bool = False
    """Managers take leads too (small practices where the manager answers the phone)."""


@dataclass(frozen=True)
class PracticeSettings:
    """Everything a practice configures about routing and response times."""

    sla_minutes: int = 5
    """Minutes of business time within which a new lead must be contacted."""
    after_hours: str = "start_at_opening"
    """start_at_opening: the clock starts when the location opens; overflow: agents take it now."""
    escalation_level2_minutes: int = 15
    """Business minutes past the deadline before managers are texted and emailed."""
    claim_timeout_minutes: int = 10
    """A claimed lead nobody contacts within this returns to the queue."""
    phone_region: str = "US"
    """Region for reading phone numbers written without a country code."""
    attribution_conversion_stage: str = "appointment_scheduled"
    """Funnel stage at which a patient journey counts as converted in attribution (treatment_accepted
    credits channels for value rather than bookings)."""
    assignment: AssignmentRules = field(default_factory=AssignmentRules)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> PracticeSettings:
        data = dict(data or {})
        rules = dict(data.pop("assignment", {}) or {})
        known = {f.name for f in fields(cls)}
        known_rules = {f.name for f in fields(AssignmentRules)}
        unknown = (set(data) - known) | {f"assignment.{k}" for k in set(rules) - known_rules}
        if unknown:
            raise SettingsError("unknown practice settings: " + ", ".join(sorted(unknown)))
        settings = cls(**data, assignment=AssignmentRules(**rules))
        settings.check()
        return settings

    def check(self) -> None:
        if self.after_hours not in AFTER_HOURS_RULES:
            raise SettingsError(f"after_hours must be one of {', '.join(AFTER_HOURS_RULES)}")
        if self.assignment.strategy not in STAFF_STRATEGIES:
            raise SettingsError(f"assignment.strategy must be one of {', '.join(STAFF_STRATEGIES)}")
        if self.attribution_conversion_stage not in ATTRIBUTION_CONVERSION_STAGES:
            raise SettingsError(
                f"attribution_conversion_stage must be one of {', '.join(ATTRIBUTION_CONVERSION_STAGES)}"
            )
        if self.sla_minutes <= 0 or self.escalation_level2_minutes <= 0 or self.claim_timeout_minutes <= 0:
            raise SettingsError("minutes must be positive")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
