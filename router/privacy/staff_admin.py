"""The staff screen: invite people, set their role and offices, deactivate them, reset a password.

Who may manage whom: a practice admin manages everyone of the practice; a manager manages front
desk staff and managers who work at one of their offices, gives only their own offices and never
a role above their own. Other people, and everyone of another practice, are "not found".
A change of role or offices, a deactivation and a reset end the person's sessions at once (their
open boards close). Deactivating or demoting the practice's last practice admin, or its last
manager-or-admin, is refused: someone must be able to run the practice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.edits import changes, parse_revision, take_revision
from router.core.errors import InvalidFields, LeadNotFound
from router.core.form_values import FormReader
from router.core.models import AccountLink, Location, Practice, StaffLocation, StaffUser, UserSession
from router.privacy import audit
from router.privacy.access import (
    FRONT_DESK,
    MANAGER,
    MANAGING_ROLES,
    PRACTICE_ADMIN,
    ROLE_NAMES,
    Viewer,
    require,
)
from router.privacy.auth import end_user_sessions

ROLE_HINTS = {
    FRONT_DESK: "Works the board: claims, calls and texts leads of their offices.",
    MANAGER: "Also sees response times, attribution and models; changes settings and hours; manages "
    "the staff of their offices.",
    PRACTICE_ADMIN: "Everything for every office, plus offices, web forms, phones and other practice admins.",
}


def roles_granted_by(viewer: Viewer) -> list[str]:
    """The roles this person may give."""
    return [FRONT_DESK, MANAGER, PRACTICE_ADMIN] if viewer.role == PRACTICE_ADMIN else [FRONT_DESK, MANAGER]


@dataclass(frozen=True)
class StaffRow:
    user: StaffUser
    location_ids: frozenset[uuid.UUID]
    last_sign_in: datetime | None
    invited: bool
    """Invited and has not set a password yet."""

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.user.role, self.user.role)

    def values(self) -> dict[str, Any]:
        user = self.user
        return {
            "revision": str(user.revision),
            "display_name": user.display_name,
            "role": user.role,
            "phone": user.phone or "",
            "handles_priority": "1" if user.handles_priority else "",
            "locations": [str(i) for i in self.location_ids],
        }


def managed_person(viewer: Viewer, user: StaffUser | None, location_ids: frozenset[uuid.UUID]) -> StaffUser:
    """The person, if this viewer may manage them; else not found."""
    require(viewer, "staff.manage")
    if user is None or user.practice_id is None or user.practice_id != viewer.practice_id:
        raise LeadNotFound("No such person in your practice.")
    if viewer.role != PRACTICE_ADMIN and (
        user.role not in (FRONT_DESK, MANAGER) or not (location_ids & viewer.location_ids)
    ):
        raise LeadNotFound("No such person at your offices.")
    return user


async def locations_of(
    session: AsyncSession, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    rows = (
        await session.execute(
            select(StaffLocation.user_id, StaffLocation.location_id).where(
                StaffLocation.user_id.in_(user_ids)
            )
        )
    ).all()
    found: dict[uuid.UUID, set[uuid.UUID]] = {}
    for user_id, location_id in rows:
        found.setdefault(user_id, set()).add(location_id)
    return {user_id: frozenset(found.get(user_id, ())) for user_id in user_ids}


async def _rows(session: AsyncSession, users: list[StaffUser]) -> list[StaffRow]:
    ids = [u.id for u in users]
    locations = await locations_of(session, ids)
    last = dict(
        (
            await session.execute(
                select(UserSession.user_id, func.max(UserSession.created_at))
                .where(UserSession.user_id.in_(ids))
                .group_by(UserSession.user_id)
            )
        ).all()
    )
    pending = set(
        (
            await session.scalars(
                select(AccountLink.user_id).where(
                    AccountLink.user_id.in_(ids),
                    AccountLink.purpose == "invite",
                    AccountLink.used_at.is_(None),
                )
            )
        ).all()
    )
    return [StaffRow(u, locations[u.id], last.get(u.id), u.id in pending and u.id not in last) for u in users]


async def list_staff(domain: Domain, viewer: Viewer) -> list[StaffRow]:
    """The people this viewer manages, active first, by name."""
    require(viewer, "staff.manage")
    async with domain.sessionmaker() as session:
        users = list(
            (
                await session.scalars(
                    select(StaffUser)
                    .where(StaffUser.practice_id == viewer.practice_id)
                    .order_by(StaffUser.is_active.desc(), StaffUser.display_name)
                )
            ).all()
        )
        rows = await _rows(session, users)
    managed = []
    for row in rows:
        try:
            managed_person(viewer, row.user, row.location_ids)
        except LeadNotFound:
            continue
        managed.append(row)
    return managed


async def load_member(domain: Domain, viewer: Viewer, user_id: uuid.UUID) -> StaffRow:
    async with domain.sessionmaker() as session:
        user = await session.get(StaffUser, user_id)
        rows = await _rows(session, [user]) if user is not None else []
    row = rows[0] if rows else None
    managed_person(viewer, user, row.location_ids if row else frozenset())
    assert row is not None
    return row


async def offices_for(domain: Domain, viewer: Viewer) -> list[tuple[uuid.UUID, str]]:
    """The offices this viewer may give people (theirs; every open one for a practice admin)."""
    require(viewer, "staff.manage")
    async with domain.sessionmaker() as session:
        rows = (
            await session.execute(
                select(Location.id, Location.name)
                .where(Location.practice_id == viewer.practice_id, Location.is_active.is_(True))
                .order_by(Location.name)
            )
        ).all()
    return [(i, name) for i, name in rows if viewer.role == PRACTICE_ADMIN or i in viewer.location_ids]


def chosen_offices(read: FormReader, offered: list[tuple[uuid.UUID, str]]) -> list[uuid.UUID]:
    raw = read.form.get("locations", [])
    chosen = [raw] if isinstance(raw, str) else list(raw)
    allowed = {str(i): i for i, _ in offered}
    picked = [allowed[c] for c in chosen if c in allowed]
    if not picked:
        read.fail("locations", "Choose at least one office this person works at.")
    return picked


def read_member_form(
    form: Mapping[str, Any], viewer: Viewer, offered: list[tuple[uuid.UUID, str]]
) -> dict[str, Any]:
    """The role, offices, name, phone and priority flag the form asks for, or InvalidFields."""
    read = FormReader(form)
    values = {
        "display_name": read.text("display_name", label="Their name", required=True),
        "role": read.choice("role", label="their role", choices=tuple(roles_granted_by(viewer))),
        "phone": read.phone("phone", label="Their mobile number"),
        "handles_priority": read.boolean("handles_priority"),
        "locations": chosen_offices(read, offered),
    }
    read.done()
    return values


async def _guard_last(session: AsyncSession, user: StaffUser, *, new_role: str | None, what: str) -> None:
    """Refuse to leave the practice without a practice admin, or without any manager or admin."""
    others = select(func.count()).where(
        StaffUser.practice_id == user.practice_id, StaffUser.is_active.is_(True), StaffUser.id != user.id
    )
    name = user.display_name
    last_admin = user.role == PRACTICE_ADMIN and new_role != PRACTICE_ADMIN
    if last_admin and not await session.scalar(others.where(StaffUser.role == PRACTICE_ADMIN)):
        raise InvalidFields(
            {what: f"{name} is the practice's only practice admin; make someone else one first."}
        )
    last_manager = user.role in MANAGING_ROLES and new_role not in MANAGING_ROLES
    if last_manager and not await session.scalar(others.where(StaffUser.role.in_(MANAGING_ROLES))):
        raise InvalidFields({what: f"{name} is the practice's last manager; someone must run the practice."})


async def save_member(
    domain: Domain, viewer: Viewer, user_id: uuid.UUID, form: Mapping[str, Any], *, actor: audit.Actor
) -> dict[str, list[Any]]:
    """Save a person's role, offices, name, phone and priority flag; ends their sessions when their
    role or offices changed. Returns what changed."""
    require(viewer, "staff.manage")
    offered = await offices_for(domain, viewer)
    values = read_member_form(form, viewer, offered)
    async with domain.transaction() as session:
        user = await session.get(StaffUser, user_id, with_for_update=True, populate_existing=True)
        current = (await locations_of(session, [user_id]))[user_id] if user else frozenset()
        user = managed_person(viewer, user, current)
        practice = await session.get(Practice, user.practice_id)
        assert practice is not None
        # Offices this viewer cannot give stay as they are (a manager edits only their own offices).
        kept = {i for i in current if i not in {o for o, _ in offered}}
        new_locations = frozenset(kept | set(values["locations"]))
        before = {
            "display_name": user.display_name,
            "role": user.role,
            "phone": user.phone,
            "handles_priority": user.handles_priority,
            "locations": sorted(str(i) for i in current),
        }
        after = {**values, "locations": sorted(str(i) for i in new_locations)}
        changed = changes(before, after)
        if not changed:
            return {}
        await _guard_last(session, user, new_role=values["role"], what="role")
        await take_revision(
            session,
            user,
            parse_revision(form.get("revision")),
            user_id=viewer.user_id,
            now=domain.clock.now(),
            time_zone=practice.time_zone,
            what=f"{user.display_name}'s account",
        )
        user.display_name, user.role, user.phone = values["display_name"], values["role"], values["phone"]
        user.handles_priority = values["handles_priority"]
        for gone in current - new_locations:
            await session.delete(await session.get(StaffLocation, (user.id, gone)))
        for added in new_locations - current:
            session.add(StaffLocation(user_id=user.id, location_id=added))
        audit.record(
            session,
            actor=actor,
            action="staff.changed",
            practice_id=user.practice_id,
            details={"user_id": str(user.id), "changes": changed},
        )
    if "role" in changed or "locations" in changed:
        await end_user_sessions(domain, user_id, actor=actor, reason="role or offices changed")
    return changed


async def set_active(
    domain: Domain, viewer: Viewer, user_id: uuid.UUID, *, active: bool, actor: audit.Actor
) -> StaffUser:
    """Deactivate a person (they are signed out everywhere and their boards close at once), or bring
    them back (they sign in with their old password)."""
    async with domain.transaction() as session:
        user = await session.get(StaffUser, user_id, with_for_update=True, populate_existing=True)
        current = (await locations_of(session, [user_id]))[user_id] if user else frozenset()
        user = managed_person(viewer, user, current)
        if user.is_active == active:
            return user
        if not active:
            if user.id == viewer.user_id:
                raise InvalidFields(
                    {"active": "You cannot deactivate yourself; ask another manager or practice admin."}
                )
            await _guard_last(session, user, new_role=None, what="active")
        user.is_active = active
        user.revision += 1
        user.updated_at, user.updated_by_user_id = domain.clock.now(), viewer.user_id
        audit.record(
            session,
            actor=actor,
            action="staff.reactivated" if active else "staff.deactivated",
            practice_id=user.practice_id,
            details={"user_id": str(user.id)},
        )
    if not active:
        await end_user_sessions(domain, user_id, actor=actor, reason="deactivated")
    return user
