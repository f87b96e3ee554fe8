"""The offices screen: address, ZIP, time zone and weekly hours of an office, added, edited, closed.

A manager edits the offices they work at; a practice admin every office of the practice, and only
a practice admin adds an office or deactivates one (it then takes no new leads; its history stays).
Changing the hours or the time zone of an office with waiting leads moves their deadlines: the
save first answers how many would move (`LocationSaved.pending`), and applies only when confirmed.
Closures (holidays, a day of training) are router/practices/closures.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.edits import changes, parse_revision, take_revision
from router.core.errors import InvalidFields, LeadNotFound
from router.core.form_values import FormReader
from router.core.models import Lead, Location, Practice
from router.practices.deadlines import (
    DeadlineChange,
    OfficeHours,
    apply_deadline_changes,
    deadline_changes,
    schedule_moved_deadlines,
)
from router.practices.hours_form import read_weekly_hours, weekly_hours_values
from router.practices.settings import PracticeSettings
from router.practices.settings_admin import record_configuration_change
from router.privacy import audit
from router.privacy.access import PRACTICE_ADMIN, Viewer, may_do, require
from scoring.geo import zip_coordinates

TIME_ZONES = {
    "America/New_York": "Eastern (New York)",
    "America/Chicago": "Central (Chicago)",
    "America/Denver": "Mountain (Denver)",
    "America/Phoenix": "Mountain, no daylight saving (Phoenix)",
    "America/Los_Angeles": "Pacific (Los Angeles)",
    "America/Anchorage": "Alaska (Anchorage)",
    "Pacific/Honolulu": "Hawaii (Honolulu)",
    "America/Puerto_Rico": "Atlantic (Puerto Rico)",
}
"""The zones offered first, in the words people use; any IANA zone is accepted."""
HOURS_PREFIX = "hours"
DETAIL_FIELDS = ("name", "street", "city", "state", "zip", "phone", "time_zone")


@dataclass(frozen=True)
class Office:
    """An office as the list and the form show it."""

    location: Location
    waiting: int

    def values(self) -> dict[str, str]:
        loc = self.location
        values = {name: str(getattr(loc, name) or "") for name in DETAIL_FIELDS}
        values["revision"] = str(loc.revision)
        values.update(weekly_hours_values(loc.business_hours, HOURS_PREFIX))
        return values


def editable_office(viewer: Viewer, location: Location | None) -> Location:
    """The office if this person may edit it, else not found (other practices' offices do not exist)."""
    require(viewer, "practice.configure")
    if location is None or location.practice_id != viewer.practice_id:
        raise LeadNotFound("No such office.")
    if viewer.role != PRACTICE_ADMIN and location.id not in viewer.location_ids:
        raise LeadNotFound("No such office.")
    return location


async def _waiting_counts(session: AsyncSession, location_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(Lead.location_id, func.count())
        .where(Lead.location_id.in_(location_ids), Lead.status == "open", Lead.first_contact_at.is_(None))
        .group_by(Lead.location_id)
    )
    return {location_id: int(n) for location_id, n in rows}


async def list_offices(domain: Domain, viewer: Viewer) -> list[Office]:
    """The offices this person may edit, open ones first."""
    require(viewer, "practice.configure")
    query = select(Location).where(Location.practice_id == viewer.practice_id)
    if viewer.role != PRACTICE_ADMIN:
        query = query.where(Location.id.in_(viewer.location_ids))
    async with domain.sessionmaker() as session:
        rows = list((await session.scalars(query.order_by(Location.is_active.desc(), Location.name))).all())
        waiting = await _waiting_counts(session, [row.id for row in rows])
    return [Office(row, waiting.get(row.id, 0)) for row in rows]


async def load_office(domain: Domain, viewer: Viewer, location_id: uuid.UUID) -> Office:
    async with domain.sessionmaker() as session:
        location = editable_office(viewer, await session.get(Location, location_id))
        waiting = await _waiting_counts(session, [location.id])
    return Office(location, waiting.get(location.id, 0))


@dataclass(frozen=True)
class OfficeDetails:
    """What the office form asks for, checked."""

    values: dict[str, Any]
    hours: dict[str, list[list[str]]]
    coordinates: tuple[float, float] | None


def read_office_form(form: Mapping[str, Any], *, with_hours: bool = True) -> OfficeDetails:
    """The office's details and hours, or `InvalidFields` naming every field that cannot be used."""
    read = FormReader(form)
    values: dict[str, Any] = {
        "name": read.text("name", label="The office's name", required=True, max_length=200),
        "street": read.text("street", label="The street address", max_length=200),
        "city": read.text("city", label="The city", max_length=100),
        "state": None,
        "zip": None,
        "phone": read.phone("phone", label="The office's phone"),
        "time_zone": None,
    }
    state = read.raw("state").upper()
    if state and not re.fullmatch(r"[A-Z]{2}", state):
        read.fail("state", "The state must be its two-letter code, like TX.")
    values["state"] = state or None
    zip_code = read.raw("zip")
    coordinates = None
    if not re.fullmatch(r"[0-9]{5}", zip_code):
        read.fail("zip", "Enter the ZIP code as 5 digits, like 78701.")
    else:
        coordinates = zip_coordinates(zip_code)
        if coordinates is None:
            read.fail(
                "zip", f"We do not know the ZIP code {zip_code}; check it (leads are routed by distance)."
            )
        values["zip"] = zip_code
    zone = read.raw("time_zone")
    if zone not in TIME_ZONES and zone not in available_timezones():
        read.fail("time_zone", "Choose the office's time zone.")
    values["time_zone"] = zone
    hours: dict[str, list[list[str]]] = {}
    if with_hours:
        hours, hour_errors = read_weekly_hours(form, HOURS_PREFIX)
        for name, message in hour_errors.items():
            read.fail(name, message)
    read.done()
    return OfficeDetails(values, hours, coordinates)


@dataclass
class LocationSaved:
    """The outcome of a save: done, or waiting for the person to confirm moving `pending` deadlines."""

    saved: bool
    pending: list[DeadlineChange] = field(default_factory=list)
    moved: int = 0
    changed: dict[str, list[Any]] = field(default_factory=dict)


async def save_office(
    domain: Domain,
    viewer: Viewer,
    location_id: uuid.UUID,
    form: Mapping[str, Any],
    *,
    actor: audit.Actor,
) -> LocationSaved:
    """Save the office form; with waiting leads whose deadlines would move, save only once
    `form["confirm"]` says the person saw how many (else answer the count and change nothing)."""
    require(viewer, "practice.configure")
    details = read_office_form(form)
    try:
        return await _save_office(domain, viewer, location_id, form, details, actor=actor)
    except _Unconfirmed as unconfirmed:  # nothing written: the transaction was rolled back
        return unconfirmed.outcome


class _Unconfirmed(Exception):
    def __init__(self, outcome: LocationSaved) -> None:
        self.outcome = outcome


async def _save_office(
    domain: Domain,
    viewer: Viewer,
    location_id: uuid.UUID,
    form: Mapping[str, Any],
    details: OfficeDetails,
    *,
    actor: audit.Actor,
) -> LocationSaved:
    now = domain.clock.now()
    async with domain.transaction() as session:
        location = editable_office(
            viewer, await session.get(Location, location_id, with_for_update=True, populate_existing=True)
        )
        practice = await session.get(Practice, location.practice_id)
        assert practice is not None
        settings = PracticeSettings.from_json(practice.settings)
        before = {name: getattr(location, name) for name in DETAIL_FIELDS} | {
            "hours": location.business_hours
        }
        after = dict(details.values) | {"hours": details.hours}
        changed = changes(before, after)
        if not changed:
            return LocationSaved(saved=False)
        await take_revision(
            session,
            location,
            parse_revision(form.get("revision")),
            user_id=viewer.user_id,
            now=now,
            time_zone=location.time_zone,
            what=location.name,
        )
        moved = await deadline_changes(
            session,
            location.id,
            OfficeHours(details.values["time_zone"], details.hours, location.holidays),
            settings,
            lock=True,
        )
        if moved and form.get("confirm") != str(len(moved)):
            raise _Unconfirmed(LocationSaved(saved=False, pending=moved, changed=changed))
        for name, value in details.values.items():
            setattr(location, name, value)
        location.business_hours = details.hours
        if details.coordinates is not None:
            location.latitude, location.longitude = details.coordinates
        audit.record(
            session,
            actor=actor,
            action="location.changed",
            practice_id=location.practice_id,
            details={"location_id": str(location.id), "changes": changed, "deadlines_moved": len(moved)},
        )
        await apply_deadline_changes(session, moved)
        await record_configuration_change(session, location.practice_id, "location")
    domain.forget_practice(location.practice_id)
    await schedule_moved_deadlines(domain, moved)
    return LocationSaved(saved=True, moved=len(moved), changed=changed)


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50] or "office"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


async def add_office(
    domain: Domain, viewer: Viewer, form: Mapping[str, Any], *, actor: audit.Actor
) -> uuid.UUID:
    """A new office of the practice (practice admins); its hours are set on its own page next."""
    require(viewer, "practice.administer")
    details = read_office_form(form, with_hours=False)
    async with domain.transaction() as session:
        practice_id = viewer.practice_id
        assert practice_id is not None
        taken = set(
            (await session.scalars(select(Location.slug).where(Location.practice_id == practice_id))).all()
        )
        assert details.coordinates is not None
        location = Location(
            id=uuid.uuid4(),
            practice_id=practice_id,
            slug=_slug(details.values["name"], taken),
            latitude=details.coordinates[0],
            longitude=details.coordinates[1],
            phone_numbers=[details.values["phone"]] if details.values["phone"] else [],
            business_hours={},
            holidays=[],
            updated_by_user_id=viewer.user_id,
            updated_at=domain.clock.now(),
            **details.values,
        )
        session.add(location)
        audit.record(
            session,
            actor=actor,
            action="location.added",
            practice_id=practice_id,
            details={"location_id": str(location.id), "name": location.name, "zip": location.zip},
        )
        await record_configuration_change(session, practice_id, "location")
    domain.forget_practice(practice_id)
    return location.id


async def set_office_open(
    domain: Domain, viewer: Viewer, location_id: uuid.UUID, *, active: bool, actor: audit.Actor
) -> Location:
    """Deactivate an office (no new leads; waiting ones stay on the boards) or open it again."""
    require(viewer, "practice.administer")
    async with domain.transaction() as session:
        location = editable_office(viewer, await session.get(Location, location_id, with_for_update=True))
        if not active:
            others = await session.scalar(
                select(func.count()).where(
                    Location.practice_id == location.practice_id,
                    Location.is_active.is_(True),
                    Location.id != location.id,
                )
            )
            if not others:
                raise InvalidFields({"active": "This is the practice's only open office; add another first."})
        if location.is_active == active:
            return location
        location.is_active = active
        location.revision += 1
        location.updated_at, location.updated_by_user_id = domain.clock.now(), viewer.user_id
        audit.record(
            session,
            actor=actor,
            action="location.reopened" if active else "location.deactivated",
            practice_id=location.practice_id,
            details={"location_id": str(location.id)},
        )
        await record_configuration_change(session, location.practice_id, "location")
    domain.forget_practice(location.practice_id)
    return location


def may_add_offices(viewer: Viewer) -> bool:
    return may_do(viewer, "practice.administer")


def zone_words(zone: str) -> str:
    """A time zone in the words of the form, with its current abbreviation."""
    from datetime import datetime

    abbreviation = datetime.now(ZoneInfo(zone)).tzname() if zone else ""
    return f"{TIME_ZONES.get(zone, zone)} · {abbreviation}"
