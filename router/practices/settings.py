"""A practice's configuration (assignment rules, SLA, after-hours rule), kept as JSON on the practice."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from router.practices.hours import BusinessHours, HoursError

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


_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
REVIEW_URL = re.compile(r"https://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)
"""An https address with a dotted host: the link goes into patients' texts and emails as it is."""


@dataclass(frozen=True)
class AlertContact:
    """Where a level-2 alert goes when no manager is on call (the practice's own line, an owner's phone)."""

    phone: str | None = None
    """E.164 number texted, e.g. +15125550100."""
    email: str | None = None
    """Address emailed."""


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
    manager_on_call: dict[str, dict[str, list[list[str]]]] = field(default_factory=dict)
    """When each manager (by sign-in email) is on call for level-2 alerts: weekly hours like a
    location's, in the location's time zone, holidays included. A manager not listed is on call
    during their own shift, else the location's business hours. An open board does not matter."""
    alert_fallback_contact: AlertContact = field(default_factory=AlertContact)
    """Who gets a level-2 alert (text and/or email) when no manager is on call."""
    retention_days: int = 730
    """Days after a lead is closed before its PHI is purged (names, contact details, messages, notes,
    texts, recordings); its de-identified figures stay for reports. Two years by default."""
    junk_retention_days: int = 30
    """The same for leads closed as spam or a wrong number: nobody's care depends on them."""
    outcome_window_days: int = 60
    """A lead "converted" when the PMS shows a completed visit within this many days of the inquiry;
    younger leads are left out of training (never counted as not converted)."""
    outcome_label_min_leads: int = 200
    """Leads whose window has passed, with the PMS connected, before retraining uses the PMS label."""
    match_auto_link: float = 0.99
    """Match probability at or above which a lead is linked to a patient without review."""
    match_review: float = 0.5
    """Match probability from which a pair goes to the managers' review queue (below: no link)."""
    review_requests: bool = False
    """Ask new patients for a review after their first completed visit (at most once in 12 months)."""
    review_page_url: str | None = None
    """The practice's review page (Google, Yelp...): what `{{ review_link }}` in the wording leads to."""

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> PracticeSettings:
        data = dict(data or {})
        rules = dict(data.pop("assignment", {}) or {})
        contact = data.pop("alert_fallback_contact", None) or {}
        on_call = data.pop("manager_on_call", None) or {}
        if not isinstance(contact, dict) or not isinstance(on_call, dict):
            raise SettingsError("alert_fallback_contact and manager_on_call must be JSON objects")
        on_call = {str(email).casefold(): hours for email, hours in on_call.items()}
        known = {f.name for f in fields(cls)}
        known_rules = {f.name for f in fields(AssignmentRules)}
        known_contact = {f.name for f in fields(AlertContact)}
        unknown = (
            (set(data) - known)
            | {f"assignment.{k}" for k in set(rules) - known_rules}
            | {f"alert_fallback_contact.{k}" for k in set(contact) - known_contact}
        )
        if unknown:
            raise SettingsError("unknown practice settings: " + ", ".join(sorted(unknown)))
        settings = cls(
            **data,
            assignment=AssignmentRules(**rules),
            manager_on_call=on_call,
            alert_fallback_contact=AlertContact(**contact),
        )
        settings.check()
        return settings

    def check(self) -> None:
        if not 1 <= self.junk_retention_days <= self.retention_days <= 36500:
            raise SettingsError("retention: 1 <= junk_retention_days <= retention_days <= 36500")
        if not 7 <= self.outcome_window_days <= 730 or self.outcome_label_min_leads < 1:
            raise SettingsError("outcome_window_days must be 7..730 and outcome_label_min_leads positive")
        if not 0.0 < self.match_review <= self.match_auto_link <= 1.0:
            raise SettingsError("matching: 0 < match_review <= match_auto_link <= 1")
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
        if self.review_page_url is not None and not REVIEW_URL.fullmatch(self.review_page_url):
            raise SettingsError("review_page_url must be an https:// address")
        if self.review_requests and not self.review_page_url:
            raise SettingsError("review_requests needs a review_page_url")
        contact = self.alert_fallback_contact
        if contact.phone is not None and not _E164.fullmatch(contact.phone):
            raise SettingsError("alert_fallback_contact.phone must be an E.164 number like +15125550100")
        if contact.email is not None and "@" not in contact.email:
            raise SettingsError("alert_fallback_contact.email must be an email address")
        for email, hours in self.manager_on_call.items():
            if not isinstance(hours, dict):
                raise SettingsError(f"manager_on_call[{email}] must be weekly hours like a location's")
            try:
                BusinessHours.from_config(time_zone="UTC", business_hours=hours)
            except (HoursError, TypeError, ValueError) as exc:
                raise SettingsError(f"manager_on_call[{email}]: {exc}") from exc

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
