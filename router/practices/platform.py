"""The platform operator's screens: practices (a new one with its first office and practice admin)
and overflow call centers (their agents, the practices each serves).

The operator sees no patient data here: names of practices, offices, staff and agents, and counts.
Everything the operator changes is audited.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import delete, func, select

from router.core.domain import Domain
from router.core.errors import InvalidFields, LeadNotFound
from router.core.form_values import FormReader
from router.core.models import CallCenter, CallCenterPractice, Location, Practice, StaffUser
from router.practices.location_admin import TIME_ZONES
from router.privacy import audit
from router.privacy.access import OVERFLOW_AGENT, PRACTICE_ADMIN, Viewer, require
from router.privacy.account_links import send_link
from router.privacy.auth import end_user_sessions
from router.privacy.invitations import LinkSent, add_invited, email_taken
from scoring.geo import zip_coordinates


@dataclass(frozen=True)
class PracticeRow:
    practice: Practice
    offices: int
    staff: int
    admins: list[str]
    call_centers: list[str]


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50] or "practice"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


async def list_practices(domain: Domain, viewer: Viewer) -> list[PracticeRow]:
    require(viewer, "platform.administer")
    async with domain.sessionmaker() as session:
        practices = (await session.scalars(select(Practice).order_by(Practice.name))).all()
        offices = dict(
            (
                await session.execute(
                    select(Location.practice_id, func.count()).group_by(Location.practice_id)
                )
            ).all()
        )
        staff = dict(
            (
                await session.execute(
                    select(StaffUser.practice_id, func.count())
                    .where(StaffUser.is_active.is_(True))
                    .group_by(StaffUser.practice_id)
                )
            ).all()
        )
        admins = (
            await session.execute(
                select(StaffUser.practice_id, StaffUser.display_name).where(
                    StaffUser.role == PRACTICE_ADMIN, StaffUser.is_active.is_(True)
                )
            )
        ).all()
        centers = (
            await session.execute(
                select(CallCenterPractice.practice_id, CallCenter.name).join(
                    CallCenter, CallCenter.id == CallCenterPractice.call_center_id
                )
            )
        ).all()
    return [
        PracticeRow(
            p,
            offices.get(p.id, 0),
            staff.get(p.id, 0),
            [name for pid, name in admins if pid == p.id],
            [name for pid, name in centers if pid == p.id],
        )
        for p in practices
    ]


async def add_practice(
    domain: Domain, viewer: Viewer, form: Mapping[str, Any], *, actor: audit.Actor
) -> LinkSent:
    """A new practice with its first office, and its first practice admin invited by email."""
    require(viewer, "platform.administer")
    read = FormReader(form)
    name = read.text("name", label="The practice's name", required=True)
    zone = read.raw("time_zone")
    if zone not in TIME_ZONES and zone not in available_timezones():
        read.fail("time_zone", "Choose the practice's time zone.")
    office = read.text("office_name", label="The first office's name", required=True)
    zip_code = read.raw("office_zip")
    coordinates = zip_coordinates(zip_code) if re.fullmatch(r"[0-9]{5}", zip_code) else None
    if coordinates is None:
        read.fail("office_zip", "Enter the office's ZIP code as 5 digits, like 78701.")
    email = read.email("admin_email", label="The practice admin's email", required=True)
    admin_name = read.text("admin_name", label="The practice admin's name", required=True)
    now = domain.clock.now()
    async with domain.transaction() as session:
        taken = await email_taken(session, email, practice_id=None) if email else None
        if taken:
            read.fail("admin_email", taken)
        read.done()
        assert name and office and email and admin_name and coordinates
        slugs = set((await session.scalars(select(Practice.slug))).all())
        practice = Practice(id=uuid.uuid4(), slug=_slug(name, slugs), name=name, time_zone=zone, settings={})
        session.add(practice)
        await session.flush([practice])
        location = Location(
            id=uuid.uuid4(),
            practice_id=practice.id,
            slug=_slug(office, set()),
            name=office,
            time_zone=zone,
            zip=zip_code,
            latitude=coordinates[0],
            longitude=coordinates[1],
            business_hours={},
            holidays=[],
        )
        session.add(location)
        await session.flush([location])
        admin, token = await add_invited(
            session,
            email=email,
            name=admin_name,
            role=PRACTICE_ADMIN,
            practice_id=practice.id,
            location_ids=[location.id],
            invited_by=viewer.user_id,
            now=now,
        )
        audit.record(
            session,
            actor=actor,
            action="platform.practice_added",
            practice_id=practice.id,
            details={"name": name, "admin_user_id": str(admin.id)},
        )
    outcome = await send_link(
        domain, user_id=admin.id, token=token, purpose="invite", inviter=viewer.display_name
    )
    return LinkSent(admin.id, admin_name, outcome)


@dataclass(frozen=True)
class CallCenterRow:
    center: CallCenter
    agents: list[StaffUser]
    practice_ids: set[uuid.UUID]


async def list_call_centers(
    domain: Domain, viewer: Viewer
) -> tuple[list[CallCenterRow], list[tuple[uuid.UUID, str]]]:
    """Every call center with its agents and the practices it serves; and every practice (to choose)."""
    require(viewer, "platform.administer")
    async with domain.sessionmaker() as session:
        centers = (await session.scalars(select(CallCenter).order_by(CallCenter.name))).all()
        agents = (
            await session.scalars(
                select(StaffUser).where(StaffUser.role == OVERFLOW_AGENT).order_by(StaffUser.display_name)
            )
        ).all()
        served = (
            await session.execute(select(CallCenterPractice.call_center_id, CallCenterPractice.practice_id))
        ).all()
        practices = (await session.execute(select(Practice.id, Practice.name).order_by(Practice.name))).all()
    rows = [
        CallCenterRow(
            c, [a for a in agents if a.call_center_id == c.id], {pid for cid, pid in served if cid == c.id}
        )
        for c in centers
    ]
    return rows, [(i, n) for i, n in practices]


async def add_call_center(
    domain: Domain, viewer: Viewer, form: Mapping[str, Any], *, actor: audit.Actor
) -> uuid.UUID:
    require(viewer, "platform.administer")
    read = FormReader(form)
    name = read.text("name", label="The call center's name", required=True)
    phone = read.phone("phone", label="Its phone number", required=True)
    zone = read.raw("time_zone")
    if zone not in TIME_ZONES and zone not in available_timezones():
        read.fail("time_zone", "Choose the call center's time zone.")
    read.done()
    assert name
    async with domain.transaction() as session:
        slugs = set((await session.scalars(select(CallCenter.slug))).all())
        center = CallCenter(
            id=uuid.uuid4(),
            slug=_slug(name, slugs),
            name=name,
            phone=phone,
            time_zone=zone,
            business_hours={},
        )
        session.add(center)
        audit.record(
            session,
            actor=actor,
            action="platform.call_center_added",
            practice_id=None,
            details={"name": name},
        )
    return center.id


async def _center(session: Any, center_id: uuid.UUID) -> CallCenter:
    center = await session.get(CallCenter, center_id)
    if center is None:
        raise LeadNotFound("No such call center.")
    return center


async def set_served_practices(
    domain: Domain, viewer: Viewer, center_id: uuid.UUID, chosen: list[str], *, actor: audit.Actor
) -> int:
    """Which practices the call center serves (its agents then see those practices' overflow)."""
    require(viewer, "platform.administer")
    async with domain.transaction() as session:
        center = await _center(session, center_id)
        known = {str(i): i for i in (await session.scalars(select(Practice.id))).all()}
        wanted = {known[c] for c in chosen if c in known}
        current = set(
            (
                await session.scalars(
                    select(CallCenterPractice.practice_id).where(
                        CallCenterPractice.call_center_id == center.id
                    )
                )
            ).all()
        )
        if wanted - current:
            session.add_all(
                CallCenterPractice(call_center_id=center.id, practice_id=p) for p in wanted - current
            )
        if current - wanted:
            await session.execute(
                delete(CallCenterPractice).where(
                    CallCenterPractice.call_center_id == center.id,
                    CallCenterPractice.practice_id.in_(current - wanted),
                )
            )
        audit.record(
            session,
            actor=actor,
            action="platform.call_center_practices",
            practice_id=None,
            details={
                "call_center_id": str(center.id),
                "added": sorted(map(str, wanted - current)),
                "removed": sorted(map(str, current - wanted)),
            },
        )
    return len(wanted)


async def invite_agent(
    domain: Domain, viewer: Viewer, center_id: uuid.UUID, form: Mapping[str, Any], *, actor: audit.Actor
) -> LinkSent:
    require(viewer, "platform.administer")
    read = FormReader(form)
    email = read.email("email", label="The agent's email", required=True)
    name = read.text("display_name", label="The agent's name", required=True)
    now = domain.clock.now()
    async with domain.transaction() as session:
        center = await _center(session, center_id)
        taken = await email_taken(session, email, practice_id=None) if email else None
        if taken:
            read.fail("email", taken)
        if read.errors:
            raise InvalidFields(read.errors)
        assert email and name
        agent, token = await add_invited(
            session,
            email=email,
            name=name,
            role=OVERFLOW_AGENT,
            practice_id=None,
            call_center_id=center.id,
            invited_by=viewer.user_id,
            now=now,
        )
        audit.record(
            session,
            actor=actor,
            action="platform.agent_invited",
            practice_id=None,
            details={"call_center_id": str(center.id), "user_id": str(agent.id)},
        )
    outcome = await send_link(
        domain, user_id=agent.id, token=token, purpose="invite", inviter=viewer.display_name
    )
    return LinkSent(agent.id, name, outcome)


async def set_agent_active(
    domain: Domain, viewer: Viewer, user_id: uuid.UUID, *, active: bool, actor: audit.Actor
) -> StaffUser:
    """Deactivate an overflow agent (signed out at once, their console closed) or bring them back."""
    require(viewer, "platform.administer")
    async with domain.transaction() as session:
        agent = await session.get(StaffUser, user_id, with_for_update=True)
        if agent is None or agent.role != OVERFLOW_AGENT:
            raise LeadNotFound("No such agent.")
        agent.is_active = active
        agent.updated_at, agent.updated_by_user_id = domain.clock.now(), viewer.user_id
        audit.record(
            session,
            actor=actor,
            action="platform.agent_reactivated" if active else "platform.agent_deactivated",
            practice_id=None,
            details={"user_id": str(agent.id)},
        )
    if not active:
        await end_user_sessions(domain, user_id, actor=actor, reason="deactivated")
    return agent
