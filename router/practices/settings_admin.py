"""The practice settings screen: read the form, refuse it whole or save it whole, audited and live.

What a manager edits here is `PracticeSettings` (router/practices/settings.py) as form fields, never
JSON, plus each manager's alert phone and on-call hours. A save names the revision the form was
loaded at (a concurrent save is refused, naming who and when), writes an audit record with the
before and after of every changed value, and a `practice.configured` event on which every web
process drops its cached copy: the next inquiry anywhere uses the new values.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.edits import changes, parse_revision, take_revision
from router.core.errors import NotPermitted
from router.core.events import record_event
from router.core.form_values import FormReader
from router.core.models import Practice, StaffUser
from router.practices.hours_form import read_weekly_hours, weekly_hours_values
from router.practices.settings import (
    AFTER_HOURS_RULES,
    ATTRIBUTION_CONVERSION_STAGES,
    REVIEW_URL,
    STAFF_STRATEGIES,
    AlertContact,
    AssignmentRules,
    PracticeSettings,
)
from router.privacy import audit
from router.privacy.access import MANAGER, Viewer, require

AFTER_HOURS_WORDS = {
    "start_at_opening": "Wait for opening: the clock starts when the office opens",
    "overflow": "Send to the overflow call center at once",
}
STRATEGY_WORDS = {
    "fewest_open": "Whoever has the fewest open leads (ties take turns)",
    "round_robin": "Take turns, strictly in order",
}
STAGE_WORDS = {
    "appointment_scheduled": "An appointment is booked",
    "appointment_completed": "The first appointment took place",
    "treatment_accepted": "The patient accepted a treatment plan",
    "treatment_completed": "Treatment was completed",
}
ON_CALL_SCHEDULED = "scheduled"
"""A manager's on-call mode when the form gives their own hours (else: their shift or office hours)."""


@dataclass(frozen=True)
class ManagerRow:
    """A manager as the alert section shows them: where alerts go and when they are on call."""

    user_id: uuid.UUID
    name: str
    email: str
    phone: str | None
    on_call: dict[str, Any] | None

    @property
    def prefix(self) -> str:
        return f"oncall-{self.user_id.hex}"


@dataclass(frozen=True)
class SettingsScreen:
    """What the practice settings page shows."""

    practice_id: uuid.UUID
    practice_name: str
    time_zone: str
    revision: int
    settings: PracticeSettings
    managers: list[ManagerRow]

    def values(self) -> dict[str, str]:
        """The form's fields as stored (what an unchanged form submits)."""
        s, rules, contact = self.settings, self.settings.assignment, self.settings.alert_fallback_contact
        values = {
            "revision": str(self.revision),
            "sla_minutes": str(s.sla_minutes),
            "after_hours": s.after_hours,
            "escalation_level2_minutes": str(s.escalation_level2_minutes),
            "claim_timeout_minutes": str(s.claim_timeout_minutes),
            "attribution_conversion_stage": s.attribution_conversion_stage,
            "assignment.route_by_zip": "1" if rules.route_by_zip else "",
            "assignment.strategy": rules.strategy,
            "assignment.respect_availability": "1" if rules.respect_availability else "",
            "assignment.respect_shift": "1" if rules.respect_shift else "",
            "assignment.max_open_leads": "" if rules.max_open_leads is None else str(rules.max_open_leads),
            "assignment.priority_score": "" if rules.priority_score is None else str(rules.priority_score),
            "assignment.include_managers": "1" if rules.include_managers else "",
            "fallback.phone": contact.phone or "",
            "fallback.email": contact.email or "",
            "reviews.on": "1" if s.review_requests else "",
            "reviews.page_url": s.review_page_url or "",
            "outcome_window_days": str(s.outcome_window_days),
            "outcome_label_min_leads": str(s.outcome_label_min_leads),
            "match_auto_link": percent_text(s.match_auto_link),
            "match_review": percent_text(s.match_review),
        }
        for manager in self.managers:
            values[f"{manager.prefix}-phone"] = manager.phone or ""
            values[f"{manager.prefix}-mode"] = ON_CALL_SCHEDULED if manager.on_call is not None else "shift"
            values.update(weekly_hours_values(manager.on_call, manager.prefix))
        return values


def _practice_of(viewer: Viewer) -> uuid.UUID:
    require(viewer, "practice.configure")
    if viewer.practice_id is None:
        raise NotPermitted("Practice settings belong to a practice's managers and practice admins.")
    return viewer.practice_id


async def _managers(
    session: AsyncSession, practice_id: uuid.UUID, settings: PracticeSettings
) -> list[ManagerRow]:
    rows = (
        await session.scalars(
            select(StaffUser)
            .where(
                StaffUser.practice_id == practice_id, StaffUser.role == MANAGER, StaffUser.is_active.is_(True)
            )
            .order_by(StaffUser.display_name)
        )
    ).all()
    return [
        ManagerRow(m.id, m.display_name, m.email, m.phone, settings.manager_on_call.get(m.email.casefold()))
        for m in rows
    ]


async def load_settings_screen(domain: Domain, viewer: Viewer) -> SettingsScreen:
    """The practice's settings and its managers' alert contacts, for the viewer's practice only."""
    practice_id = _practice_of(viewer)
    async with domain.sessionmaker() as session:
        practice = await session.get(Practice, practice_id)
        assert practice is not None
        settings = PracticeSettings.from_json(practice.settings)
        managers = await _managers(session, practice_id, settings)
    return SettingsScreen(
        practice.id, practice.name, practice.time_zone, practice.revision, settings, managers
    )


def read_settings_form(
    form: Mapping[str, Any], current: PracticeSettings, managers: list[ManagerRow]
) -> tuple[PracticeSettings, dict[uuid.UUID, str | None]]:
    """The settings the form asks for and each manager's alert phone; `InvalidFields` naming every
    field that cannot be used (nothing is half-applied)."""
    read = FormReader(form)
    numbers = {
        name: read.integer(name, label=label, low=lo, high=hi) for name, (label, lo, hi) in _MINUTES.items()
    }
    after_hours = read.choice("after_hours", label="what happens after hours", choices=AFTER_HOURS_RULES)
    stage = read.choice(
        "attribution_conversion_stage",
        label="when a lead counts as converted",
        choices=ATTRIBUTION_CONVERSION_STAGES,
    )
    assignment = _read_assignment(read)
    region = current.phone_region
    contact = AlertContact(
        phone=read.phone("fallback.phone", label="The fallback phone", region=current.phone_region),
        email=read.email("fallback.email", label="The fallback email"),
    )
    phones, on_call = _read_managers(read, managers, region)
    reviews = _read_reviews(read)
    outcomes = _read_outcomes(read)
    read.done()
    assert after_hours and stage
    settings = replace(
        current,
        sla_minutes=numbers["sla_minutes"] or current.sla_minutes,
        escalation_level2_minutes=numbers["escalation_level2_minutes"] or current.escalation_level2_minutes,
        claim_timeout_minutes=numbers["claim_timeout_minutes"] or current.claim_timeout_minutes,
        after_hours=after_hours,
        attribution_conversion_stage=stage,
        assignment=assignment,
        # On-call hours of people who are no longer managers are kept: they apply again if they return.
        manager_on_call={
            **{
                k: v
                for k, v in current.manager_on_call.items()
                if k not in {m.email.casefold() for m in managers}
            },
            **on_call,
        },
        alert_fallback_contact=contact,
        **reviews,
        **outcomes,
    )
    settings.check()
    return settings, phones


def _read_assignment(read: FormReader) -> AssignmentRules:
    """Who gets a new lead, as the form's "Who gets a new lead" section asks."""
    strategy = read.choice("assignment.strategy", label="how staff take turns", choices=STAFF_STRATEGIES)
    return AssignmentRules(
        route_by_zip=read.boolean("assignment.route_by_zip"),
        strategy=strategy or AssignmentRules.strategy,
        respect_availability=read.boolean("assignment.respect_availability"),
        respect_shift=read.boolean("assignment.respect_shift"),
        max_open_leads=read.integer(
            "assignment.max_open_leads", label="Most open leads per person", low=1, high=500, required=False
        ),
        priority_score=read.integer(
            "assignment.priority_score", label="Priority score", low=1, high=100, required=False
        ),
        include_managers=read.boolean("assignment.include_managers"),
    )


def _read_reviews(read: FormReader) -> dict[str, Any]:
    """Review requests on or off, and the review page they link to (needed to turn them on)."""
    url = read.text("reviews.page_url", label="The review page", max_length=500)
    on = read.boolean("reviews.on")
    if url and not REVIEW_URL.fullmatch(url):
        read.fail("reviews.page_url", "Give the page's full address, starting with https://.")
    elif on and not url:
        read.fail("reviews.page_url", "Give the review page's address to turn review requests on.")
    return {"review_requests": on, "review_page_url": url}


_MINUTES = {
    "sla_minutes": ("Minutes to first contact", 1, 240),
    "escalation_level2_minutes": ("Minutes before managers are texted", 1, 480),
    "claim_timeout_minutes": ("Minutes a claim lasts", 1, 240),
}
"""The settings counted in minutes: (label, lowest, highest)."""


def percent_text(probability: float) -> str:
    """A match probability as the form shows it: 0.99 -> "99", 0.995 -> "99.5"."""
    return f"{(Decimal(str(probability)) * 100).normalize():f}"


def _percent(read: FormReader, name: str, *, label: str, low: int) -> float | None:
    """A percentage from `low` to 100 (decimals allowed), as a probability."""
    value = read.raw(name).rstrip("%").strip()
    try:
        number = Decimal(value)
    except InvalidOperation:
        read.fail(name, f"{label} must be a percentage, like 99.")
        return None
    if not number.is_finite():  # "nan", "inf": Decimal reads them, and they compare with nothing
        read.fail(name, f"{label} must be a percentage, like 99.")
        return None
    if not low <= number <= 100:
        read.fail(name, f"{label} must be between {low} and 100 (percent).")
        return None
    return float(number / 100)


def _read_outcomes(read: FormReader) -> dict[str, Any]:
    """The outcome label's window and minimum, and the matcher's two thresholds (only those given)."""
    read_values = {
        "outcome_window_days": read.integer(
            "outcome_window_days", label="Days for a first visit to count", low=7, high=730
        ),
        "outcome_label_min_leads": read.integer(
            "outcome_label_min_leads",
            label="Leads needed before the model learns from visits",
            low=1,
            high=100_000,
        ),
        "match_auto_link": _percent(read, "match_auto_link", label="Link at once from", low=50),
        "match_review": _percent(read, "match_review", label="Ask a manager from", low=1),
    }
    auto, review = read_values["match_auto_link"], read_values["match_review"]
    if auto is not None and review is not None and review > auto:
        read.fail(
            "match_review",
            f"Ask a manager from must be at most the link-at-once level ({percent_text(auto)}%).",
        )
    return {name: value for name, value in read_values.items() if value is not None}


def _read_managers(
    read: FormReader, managers: list[ManagerRow], region: str
) -> tuple[dict[uuid.UUID, str | None], dict[str, dict[str, list[list[str]]]]]:
    """Each manager's alert phone, and the on-call hours of those on a schedule of their own."""
    phones: dict[uuid.UUID, str | None] = {}
    on_call: dict[str, dict[str, list[list[str]]]] = {}
    for manager in managers:
        phones[manager.user_id] = read.phone(
            f"{manager.prefix}-phone", label=f"{manager.name}'s phone", region=region
        )
        if read.raw(f"{manager.prefix}-mode") != ON_CALL_SCHEDULED:
            continue
        hours, hour_errors = read_weekly_hours(read.form, manager.prefix)
        for name, message in hour_errors.items():
            read.fail(name, f"{manager.name}: {message}")
        if not hours and not hour_errors:
            read.fail(
                f"{manager.prefix}-mon-1-from", f"{manager.name}: give on-call hours, or choose their shift."
            )
        on_call[manager.email.casefold()] = hours
    return phones, on_call


@dataclass(frozen=True)
class SettingsSaved:
    changed: dict[str, list[Any]]


async def save_settings(
    domain: Domain, viewer: Viewer, form: Mapping[str, Any], *, actor: audit.Actor
) -> SettingsSaved:
    """Save the settings form as one change (or refuse it whole), audited, and live in every process."""
    practice_id = _practice_of(viewer)
    now = domain.clock.now()
    async with domain.transaction() as session:
        practice = await session.get(Practice, practice_id, with_for_update=True, populate_existing=True)
        assert practice is not None
        current = PracticeSettings.from_json(practice.settings)
        managers = await _managers(session, practice_id, current)
        settings, phones = read_settings_form(form, current, managers)
        before = {
            "settings": current.to_json(),
            "manager_phones": {str(m.user_id): m.phone for m in managers},
        }
        after = {"settings": settings.to_json(), "manager_phones": {str(k): v for k, v in phones.items()}}
        changed = changes(before, after)
        if not changed:
            return SettingsSaved({})
        await take_revision(
            session,
            practice,
            parse_revision(form.get("revision")),
            user_id=viewer.user_id,
            now=now,
            time_zone=practice.time_zone,
            what="Practice settings",
        )
        practice.settings = settings.to_json()
        for manager in managers:
            if phones[manager.user_id] != manager.phone:
                user = await session.get(StaffUser, manager.user_id)
                assert user is not None
                user.phone = phones[manager.user_id]
        audit.record(
            session,
            actor=actor,
            action="practice.settings_changed",
            practice_id=practice_id,
            details={"changes": changed, "revision": practice.revision},
        )
        await record_configuration_change(session, practice_id, "settings")
    domain.forget_practice(practice_id)
    return SettingsSaved(changed)


async def record_configuration_change(session: AsyncSession, practice_id: uuid.UUID, what: str) -> int:
    """The `practice.configured` event of a saved change (the transaction's last write)."""
    return await record_event(
        session,
        kind="practice.configured",
        practice_id=practice_id,
        location_id=None,
        lead_id=None,
        payload={"what": what},
    )
