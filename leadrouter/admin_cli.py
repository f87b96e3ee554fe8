"""Administrative commands: practices, locations, users, form sources, keys and the audit log."""

from __future__ import annotations

import getpass
import json
import uuid
from typing import Any

import click
from rich.console import Console
from sqlalchemy import select

from leadrouter.commands import with_runtime
from router.core.models import ROLES
from router.practices.settings import PracticeSettings, SettingsError

console = Console()


async def _practice_by_slug(session, slug: str):  # type: ignore[no-untyped-def]
    from router.core.models import Practice

    practice = await session.scalar(select(Practice).where(Practice.slug == slug))
    if practice is None:
        raise click.ClickException(f"no practice {slug!r}")
    return practice


@click.group()
def practice() -> None:
    """Practices (tenants)."""


@practice.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--time-zone", required=True, help="IANA zone, e.g. America/Chicago.")
@click.option("--settings", "settings_json", default="{}", help="Practice settings as JSON (see README).")
@click.option("--support-phone", default=None)
def practice_create(
    slug: str, name: str, time_zone: str, settings_json: str, support_phone: str | None
) -> None:
    """Create a practice."""
    from zoneinfo import ZoneInfo

    from router.core.models import Practice

    try:
        ZoneInfo(time_zone)
        settings = PracticeSettings.from_json(json.loads(settings_json)).to_json()
    except (SettingsError, ValueError, KeyError) as exc:
        raise click.ClickException(str(exc)) from exc

    async def action(runtime: Any) -> None:
        async with runtime.domain.transaction() as session:
            session.add(
                Practice(
                    id=uuid.uuid4(),
                    slug=slug,
                    name=name,
                    time_zone=time_zone,
                    settings=settings,
                    support_phone=support_phone,
                )
            )

    with_runtime(action)
    console.print(f"practice {slug} created")


_MERGED_SETTINGS = ("assignment", "alert_fallback_contact")
"""Settings that are groups of fields: `--set` changes the fields given and keeps the others."""


@practice.command("settings")
@click.argument("slug")
@click.option(
    "--set",
    "changes_json",
    default=None,
    help='Settings to change as JSON, e.g. \'{"alert_fallback_contact": {"phone": "+15125550100"}}\'; '
    "the others keep their values.",
)
def practice_settings(slug: str, changes_json: str | None) -> None:
    """Show a practice's settings (JSON), or change some of them."""
    from router.core.models import Practice

    try:
        changes = json.loads(changes_json) if changes_json else {}
    except ValueError as exc:
        raise click.ClickException(f"--set is not JSON: {exc}") from exc
    if not isinstance(changes, dict):
        raise click.ClickException("--set must be a JSON object")

    async def action(runtime: Any) -> dict[str, Any]:
        async with runtime.domain.transaction() as session:
            found = await _practice_by_slug(session, slug)
            practice_row = await session.get(Practice, found.id, with_for_update=True)
            merged = PracticeSettings.from_json(practice_row.settings).to_json()
            for name, value in changes.items():
                if name in _MERGED_SETTINGS and isinstance(value, dict):
                    merged[name] = {**merged.get(name, {}), **value}
                else:
                    merged[name] = value
            try:
                practice_row.settings = PracticeSettings.from_json(merged).to_json()
            except (SettingsError, TypeError) as exc:
                raise click.ClickException(str(exc)) from exc
            return practice_row.settings

    console.print_json(json.dumps(with_runtime(action)))


@click.group()
def location() -> None:
    """Locations of a practice."""


@location.command("create")
@click.argument("practice_slug")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--zip", "zip_code", required=True)
@click.option("--time-zone", default=None, help="Defaults to the practice's zone.")
@click.option("--phone", default=None)
@click.option("--hours", default=None, help='JSON like {"mon": [["08:00","12:00"],["13:00","17:00"]], ...}.')
@click.option("--holiday", "holidays", multiple=True, help="ISO date closed all day (repeatable).")
def location_create(
    practice_slug: str,
    slug: str,
    name: str,
    zip_code: str,
    time_zone: str | None,
    phone: str | None,
    hours: str | None,
    holidays: tuple[str, ...],
) -> None:
    """Create a location; its coordinates come from the ZIP."""
    from router.core.models import Location
    from router.practices.hours import BusinessHours, HoursError
    from scoring.geo import zip_coordinates

    coordinates = zip_coordinates(zip_code)
    if coordinates is None:
        raise click.ClickException(f"unknown ZIP code {zip_code}")
    business_hours = json.loads(hours) if hours else {}

    async def action(runtime: Any) -> None:
        async with runtime.domain.transaction() as session:
            owner = await _practice_by_slug(session, practice_slug)
            zone = time_zone or owner.time_zone
            try:
                BusinessHours.from_config(time_zone=zone, business_hours=business_hours, holidays=holidays)
            except (HoursError, ValueError) as exc:
                raise click.ClickException(f"hours: {exc}") from exc
            session.add(
                Location(
                    id=uuid.uuid4(),
                    practice_id=owner.id,
                    slug=slug,
                    name=name,
                    time_zone=zone,
                    zip=zip_code,
                    latitude=coordinates[0],
                    longitude=coordinates[1],
                    phone=phone,
                    phone_numbers=[phone] if phone else [],
                    business_hours=business_hours,
                    holidays=list(holidays),
                )
            )

    with_runtime(action)
    console.print(f"location {practice_slug}/{slug} created")


@click.group()
def user() -> None:
    """Staff accounts."""


@user.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option(
    "--role",
    type=click.Choice(list(ROLES)),
    required=True,
    help="Practice staff (front_desk, manager, practice_admin) need --practice; overflow agents "
    "--call-center; physicians and their office staff --office; platform operators nothing else.",
)
@click.option("--practice", "practice_slug", default=None)
@click.option("--office", "office_name", default=None, help="Referring office (created when new).")
@click.option("--location", "location_slugs", multiple=True, help="Location slug (repeatable; default: all).")
@click.option("--call-center", "call_center_slug", default=None, help="For overflow agents.")
@click.option("--password", default=None, help="Prompted for when omitted.")
def user_create(
    email: str,
    name: str,
    role: str,
    practice_slug: str | None,
    location_slugs: tuple[str, ...],
    call_center_slug: str | None,
    office_name: str | None,
    password: str | None,
) -> None:
    """Create a user: practice staff see the given locations of their practice (default: all)."""
    from router.core.models import CallCenter, Location, ReferringOffice
    from router.privacy.auth import create_user

    password = password or getpass.getpass("Password (10+ characters): ")

    async def action(runtime: Any) -> None:
        async with runtime.domain.transaction() as session:
            practice_id, location_ids, center_id = None, [], None
            if practice_slug:
                owner = await _practice_by_slug(session, practice_slug)
                practice_id = owner.id
                locations = (
                    await session.scalars(select(Location).where(Location.practice_id == owner.id))
                ).all()
                by_slug = {loc.slug: loc.id for loc in locations}
                unknown = [s for s in location_slugs if s not in by_slug]
                if unknown:
                    raise click.ClickException("unknown locations: " + ", ".join(unknown))
                location_ids = [by_slug[s] for s in location_slugs] or list(by_slug.values())
            if call_center_slug:
                center = await session.scalar(select(CallCenter).where(CallCenter.slug == call_center_slug))
                if center is None:
                    raise click.ClickException(f"no call center {call_center_slug!r}")
                center_id = center.id
            office_id = None
            if office_name:
                office = await session.scalar(
                    select(ReferringOffice).where(ReferringOffice.name == office_name)
                )
                if office is None:
                    office = ReferringOffice(name=office_name)
                    session.add(office)
                    await session.flush([office])
                office_id = office.id
            try:
                created = await create_user(
                    session,
                    email=email,
                    display_name=name,
                    password=password,
                    role=role,
                    practice_id=practice_id,
                    call_center_id=center_id,
                    location_ids=location_ids,
                )
            except ValueError as exc:
                raise click.ClickException(str(exc)) from exc
            created.referring_office_id = office_id

    with_runtime(action)
    console.print(f"user {email} created")


@click.group("form-source")
def form_source() -> None:
    """Web forms that post signed inquiries."""


@form_source.command("create")
@click.argument("practice_slug")
@click.argument("key")
@click.option("--name", required=True)
@click.option("--default-location", default=None, help="Location slug for inquiries without a ZIP match.")
def form_source_create(practice_slug: str, key: str, name: str, default_location: str | None) -> None:
    """Create a form source and print its signing secret once."""
    from router.core.models import Location
    from router.intake.form_sources import create_form_source

    async def action(runtime: Any) -> str:
        async with runtime.domain.transaction() as session:
            owner = await _practice_by_slug(session, practice_slug)
            default_id = None
            if default_location:
                default_id = await session.scalar(
                    select(Location.id).where(
                        Location.practice_id == owner.id, Location.slug == default_location
                    )
                )
                if default_id is None:
                    raise click.ClickException(f"no location {default_location!r}")
            _, secret = await create_form_source(
                session,
                runtime.domain,
                practice_id=owner.id,
                key=key,
                name=name,
                default_location_id=default_id,
            )
            return secret

    secret = with_runtime(action)
    console.print(f"form source {key}: POST /webhooks/forms/{key}")
    console.print(f"signing secret (shown once): [bold]{secret}[/]")


@form_source.command("rotate-secret")
@click.argument("key")
def form_source_rotate(key: str) -> None:
    """Issue a new signing secret; the old one stays valid for 24 hours."""
    from router.intake.form_sources import ROTATION_OVERLAP, rotate_secret

    async def action(runtime: Any) -> str:
        async with runtime.domain.transaction() as session:
            try:
                return await rotate_secret(session, runtime.domain, key=key)
            except LookupError as exc:
                raise click.ClickException(str(exc)) from exc

    secret = with_runtime(action)
    console.print(f"new signing secret (shown once): [bold]{secret}[/]")
    console.print(f"the previous secret stays valid for {ROTATION_OVERLAP}")


COMMANDS = [practice, location, user, form_source]
