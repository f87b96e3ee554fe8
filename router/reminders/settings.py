"""A practice's reminder settings: on or off (and since when), the confirmation, and the timings.

Timings are hours before the visit, for every appointment and, optionally, per appointment type (the
practice-management system's words, e.g. "New patient exam: 72, 24, 2"). A type's own list replaces
the default for that type.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.core.models import ReminderSettings
from router.nurture.starter import install_starter
from router.privacy import audit
from router.privacy.access import Viewer, require

DEFAULT_HOURS = (48, 2)
"""48 h and 2 h before: the pattern practices report takes no-shows from the mid-30s to the low teens."""
LONGEST_HOURS = 14 * 24
"""Two weeks: a reminder further ahead is forgotten by the visit."""
MOST_REMINDERS = 4
"""More than four messages about one visit read as spam."""


@dataclass(frozen=True)
class ReminderPlanSettings:
    """What the planner needs: whether reminders are on, the confirmation, the offsets for a type."""

    enabled: bool
    confirmation: bool
    hours_before: tuple[int, ...]
    type_hours: dict[str, tuple[int, ...]]

    def offsets_for(self, appointment_type: str | None) -> tuple[timedelta, ...]:
        hours = self.type_hours.get((appointment_type or "").strip().casefold(), self.hours_before)
        return tuple(timedelta(hours=h) for h in hours)


OFF = ReminderPlanSettings(False, True, DEFAULT_HOURS, {})


def plan_settings(row: ReminderSettings | None) -> ReminderPlanSettings:
    if row is None:
        return OFF
    return ReminderPlanSettings(
        enabled=row.enabled,
        confirmation=row.confirmation,
        hours_before=tuple(int(h) for h in row.hours_before or DEFAULT_HOURS),
        type_hours={str(k): tuple(int(h) for h in v) for k, v in (row.type_hours or {}).items()},
    )


def _hours(raw: str, *, what: str) -> tuple[int, ...]:
    """ "48, 2" as (48, 2); a ValueError says what is wrong in the manager's words."""
    parts = [p.strip().removesuffix("h").strip() for p in raw.replace(";", ",").split(",") if p.strip()]
    if len(parts) > MOST_REMINDERS:
        raise ValueError(f"{what}: at most {MOST_REMINDERS} reminders.")
    hours = []
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= LONGEST_HOURS:
            raise ValueError(f"{what}: each time is a whole number of hours from 1 to {LONGEST_HOURS}.")
        hours.append(int(part))
    return tuple(sorted(set(hours), reverse=True))


def type_hours_text(type_hours: dict[str, Any]) -> str:
    """The per-type timings as the form shows them, one type a line."""
    return "\n".join(f"{name}: {', '.join(str(h) for h in hours)}" for name, hours in type_hours.items())


def parse(form: dict[str, Any]) -> dict[str, Any]:
    """The submitted settings, or InvalidFields naming each problem beside its field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "enabled": str(form.get("enabled") or "") in {"on", "true", "1", "yes"},
        "confirmation": str(form.get("confirmation") or "") in {"on", "true", "1", "yes"},
    }
    try:
        values["hours_before"] = list(_hours(str(form.get("hours_before") or ""), what="Reminders"))
    except ValueError as exc:
        errors["hours_before"] = str(exc)
    type_hours: dict[str, list[int]] = {}
    for number, line in enumerate(str(form.get("type_hours") or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, raw = line.partition(":")
        if not colon or not name.strip():
            errors["type_hours"] = (
                f'Line {number}: write the type, a colon, then the hours ("Cleaning: 48, 2").'
            )
            break
        try:
            type_hours[name.strip().casefold()[:64]] = list(_hours(raw, what=f"Line {number}"))
        except ValueError as exc:
            errors["type_hours"] = str(exc)
            break
    values["type_hours"] = type_hours
    if errors:
        raise InvalidFields(errors)
    return values


async def load_settings(session: AsyncSession, practice_id: uuid.UUID) -> ReminderSettings | None:
    return await session.get(ReminderSettings, practice_id)


async def save_settings(domain: Domain, viewer: Viewer, form: dict[str, Any], *, actor: audit.Actor) -> None:
    """Save the practice's reminder settings; switching them on records when (the report's line)."""
    require(viewer, "nurture.manage")
    assert viewer.practice_id is not None
    values = parse(form)
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        row = await session.get(ReminderSettings, viewer.practice_id, with_for_update=True)
        if row is None:
            row = ReminderSettings(practice_id=viewer.practice_id, enabled=False, updated_at=now)
            session.add(row)
        switched_on = values["enabled"] and not row.enabled
        for key, value in values.items():
            setattr(row, key, value)
        if switched_on:
            row.enabled_at = now
            row.first_enabled_at = row.first_enabled_at or now
        row.updated_at = now
        await install_starter(session, viewer.practice_id, now)  # the reminder wording, for approval
        audit.record(
            session,
            actor=actor,
            action="reminders.settings",
            practice_id=viewer.practice_id,
            details={"enabled": values["enabled"], "switched_on": switched_on},
        )
