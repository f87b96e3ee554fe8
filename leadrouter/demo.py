"""Demo data: the simulator's practices, staff and call center, and their follow-up, seeded once
(idempotent)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter.demo_nurture import seed_demo_nurture
from router.core.domain import Domain
from router.core.models import (
    CallCenter,
    CallCenterPractice,
    Location,
    Practice,
    Provider,
    StaffUser,
    TrackingNumber,
)
from router.core.phi_columns import STAFF_TOTP_SECRET
from router.intake.form_sources import create_form_source
from router.phones.numbers import add_tracking_number
from router.privacy.auth import create_user
from router.privacy.mfa import MFA_REQUIRED_ROLES, new_secret, store_enrolment
from simulator.practices import LocationSpec, PracticeSpec, demo_call_center, demo_practices

DEMO_PASSWORD = "demo-password-2026"
"""The password of every demo login; printed by the run command, never used outside the demo."""


DEMO_OPERATOR_EMAIL = "olivia.ops@leadrouter.example"
"""The demo's platform operator: manages practices, sees no patient data without break-glass access."""


def demo_form_key(practice_slug: str, form_key: str) -> str:
    """Webhook keys are global; the simulator's form keys are per practice, so prefix them."""
    return f"{practice_slug}-{form_key}"


@dataclass
class DemoSummary:
    """What the seeding created (or found already there)."""

    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    """(email, role, practice) of each demo login."""
    authenticator_secrets: dict[str, str] = field(default_factory=dict)
    """Email to TOTP secret of the logins whose role requires a second factor (development mode only)."""


async def seed_demo(domain: Domain) -> DemoSummary:
    """Create the demo practices, locations, providers, form sources, staff and call center."""
    summary = DemoSummary(created=False)
    async with domain.transaction() as session:
        practice_ids: dict[str, uuid.UUID] = {}
        for spec in demo_practices():
            existing = await session.scalar(select(Practice).where(Practice.slug == spec.slug))
            if existing is None:
                summary.created = True
                practice_ids[spec.slug] = await _seed_practice(session, domain, spec, summary)
                continue
            practice_ids[spec.slug] = existing.id
            for email, role in (
                await session.execute(
                    select(StaffUser.email, StaffUser.role).where(StaffUser.practice_id == existing.id)
                )
            ).all():
                summary.logins.append((email, role, spec.name))
            await _seed_tracking_numbers(session, existing.id, spec)
        await _seed_call_center(session, practice_ids, summary)
        if await session.scalar(select(StaffUser.id).where(StaffUser.email == DEMO_OPERATOR_EMAIL)) is None:
            await create_user(
                session,
                email=DEMO_OPERATOR_EMAIL,
                display_name="Olivia Operator",
                password=DEMO_PASSWORD,
                role="platform_operator",
            )
        summary.logins.append((DEMO_OPERATOR_EMAIL, "platform_operator", "Lead Router"))
        if domain.settings.security.dev_mode:
            summary.authenticator_secrets = await _pre_enrol(session, domain)
    await seed_demo_nurture(domain, list(practice_ids))
    return summary


async def _seed_practice(
    session: AsyncSession, domain: Domain, spec: PracticeSpec, summary: DemoSummary
) -> uuid.UUID:
    """One demo practice with its offices, providers, form sources, tracking numbers and staff."""
    practice = Practice(
        id=uuid.uuid4(),
        slug=spec.slug,
        name=spec.name,
        time_zone=spec.time_zone,
        settings={},
        support_phone=spec.support_phone,
    )
    session.add(practice)
    await session.flush([practice])
    locations = {loc.slug: _location(practice.id, loc) for loc in spec.locations}
    session.add_all(locations.values())
    await session.flush()
    for provider in spec.providers:
        session.add(
            Provider(
                practice_id=practice.id,
                location_id=locations[provider.location_slug].id,
                name=provider.name,
                title=provider.title,
                specialty=provider.specialty,
            )
        )
    for form in spec.form_sources:
        await create_form_source(
            session,
            domain,
            practice_id=practice.id,
            key=demo_form_key(spec.slug, form.key),
            name=form.name,
            default_location_id=locations[form.default_location_slug].id
            if form.default_location_slug
            else None,
        )
    await _seed_tracking_numbers(session, practice.id, spec)
    for person in spec.staff:
        await create_user(
            session,
            email=person.email,
            display_name=person.display_name,
            password=DEMO_PASSWORD,
            role=person.role,
            practice_id=practice.id,
            location_ids=[locations[s].id for s in (person.location_slugs or tuple(locations))],
        )
        summary.logins.append((person.email, person.role, spec.name))
    return practice.id


def _location(practice_id: uuid.UUID, loc: LocationSpec) -> Location:
    return Location(
        id=uuid.uuid4(),
        practice_id=practice_id,
        slug=loc.slug,
        name=loc.name,
        time_zone=loc.time_zone,
        street=loc.street,
        city=loc.city,
        state=loc.state,
        zip=loc.zip,
        latitude=loc.latitude,
        longitude=loc.longitude,
        phone=loc.phone,
        phone_numbers=[loc.phone],
        business_hours={day: [list(i) for i in intervals] for day, intervals in loc.business_hours.items()},
        holidays=list(loc.holidays),
    )


async def _seed_call_center(
    session: AsyncSession, practice_ids: dict[str, uuid.UUID], summary: DemoSummary
) -> None:
    """The demo call center, its practices and its agents (once)."""
    center_spec = demo_call_center()
    center = await session.scalar(select(CallCenter).where(CallCenter.slug == center_spec.slug))
    if center is None:
        center = CallCenter(
            id=uuid.uuid4(), slug=center_spec.slug, name=center_spec.name, phone=center_spec.phone
        )
        session.add(center)
        await session.flush([center])
        for slug in center_spec.practice_slugs:
            session.add(CallCenterPractice(call_center_id=center.id, practice_id=practice_ids[slug]))
        for agent in center_spec.agents:
            await create_user(
                session,
                email=agent.email,
                display_name=agent.display_name,
                password=DEMO_PASSWORD,
                role="overflow_agent",
                call_center_id=center.id,
            )
    summary.logins.extend((agent.email, agent.role, center_spec.name) for agent in center_spec.agents)


async def _pre_enrol(session: AsyncSession, domain: Domain) -> dict[str, str]:
    """Development mode only: the demo logins that need a second factor get an authenticator, so a
    fresh machine can sign in with the secrets the start panel prints."""
    secrets: dict[str, str] = {}
    people = await session.scalars(select(StaffUser).where(StaffUser.role.in_(MFA_REQUIRED_ROLES)))
    for person in people:
        if person.totp_secret_enc is None:
            await store_enrolment(session, domain, person, new_secret())
        secrets[person.email] = (
            domain.cipher.open(person.totp_secret_enc, column=STAFF_TOTP_SECRET, row_id=person.id) or ""
        )
    return secrets


async def _seed_tracking_numbers(session: AsyncSession, practice_id: uuid.UUID, spec: PracticeSpec) -> None:
    """The practice's call-tracking numbers (those missing: a demo seeded before phones existed gets them)."""
    known = set((await session.scalars(select(TrackingNumber.phone_e164))).all())
    rows = await session.scalars(select(Location).where(Location.practice_id == practice_id))
    locations = {loc.slug: loc for loc in rows}
    for number in spec.tracking_numbers:
        if number.phone_e164 not in known and number.location_slug in locations:
            await add_tracking_number(
                session,
                location=locations[number.location_slug],
                phone=number.phone_e164,
                channel=number.channel,
                campaign=number.campaign,
            )
