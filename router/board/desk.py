"""The viewer's own side of the board: availability, the offices they can add leads at, their view."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.core.models import Location, StaffUser
from router.privacy.access import PRACTICE_ADMIN, Viewer

BOARD_FILTERS = ("all", "mine", "unassigned")
"""Whose leads the board shows: everyone's, mine (assigned to or claimed by me), nobody's yet."""


@dataclass(frozen=True)
class BoardView:
    """How a person left their board; the page opens the same way on any device."""

    filter: str = "all"
    location: str = "all"
    """An office id, or "all"."""
    compact: bool = False
    """One line per lead, each expanding to its full card."""


def view_of(stored: dict[str, Any] | None, offices: Sequence[uuid.UUID]) -> BoardView:
    """The stored view, with anything no longer valid (an office they lost) back to its default."""
    stored = stored or {}
    chosen = str(stored.get("filter", "all"))
    location = str(stored.get("location", "all"))
    return BoardView(
        filter=chosen if chosen in BOARD_FILTERS else "all",
        location=location if location in {str(office) for office in offices} else "all",
        compact=stored.get("compact") is True,
    )


async def save_board_view(
    domain: Domain, viewer: Viewer, *, chosen: str, location: str, compact: str
) -> BoardView:
    """Remember the board's filter, office tab and density for this person (refused if unknown)."""
    offices = await _offices(domain, viewer)
    problems = {}
    if chosen not in BOARD_FILTERS:
        problems["filter"] = "Choose mine, unassigned or all."
    if location != "all" and location not in {str(office) for office, _ in offices}:
        problems["location"] = "Choose one of your offices, or all."
    if compact not in ("true", "false"):
        problems["compact"] = "Compact is true or false."
    if problems:
        raise InvalidFields(problems)
    stored = {"filter": chosen, "location": location, "compact": compact == "true"}
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(StaffUser).where(StaffUser.id == viewer.user_id).values(board_view=stored)
        )
    return view_of(stored, [office for office, _ in offices])


async def _offices(domain: Domain, viewer: Viewer) -> list[tuple[uuid.UUID, str]]:
    async with domain.sessionmaker() as session:
        return await visible_offices(session, viewer)


async def visible_offices(session: AsyncSession, viewer: Viewer) -> list[tuple[uuid.UUID, str]]:
    """The offices whose leads the person's board shows: one tab each."""
    if viewer.role == PRACTICE_ADMIN and viewer.practice_id is not None:
        scope = Location.practice_id == viewer.practice_id
    else:
        scope = Location.id.in_(viewer.location_ids)
    rows = await session.execute(select(Location.id, Location.name).where(scope).order_by(Location.name))
    return [(row[0], row[1]) for row in rows]


@dataclass(frozen=True)
class Desk:
    """The viewer's own side of the board: availability, where they can add leads, their board's view."""

    availability: str
    away_automatically: bool
    locations: tuple[tuple[uuid.UUID, str], ...]
    offices: tuple[tuple[uuid.UUID, str], ...] = ()
    """One tab per office the board shows (a practice admin: every office of the practice)."""
    view: BoardView = BoardView()


async def load_desk(session: AsyncSession, viewer: Viewer) -> Desk:
    user = await session.get(StaffUser, viewer.user_id)
    locations = (
        await session.execute(
            select(Location.id, Location.name)
            .where(Location.id.in_(viewer.location_ids))
            .order_by(Location.name)
        )
    ).all()
    offices = await visible_offices(session, viewer)
    return Desk(
        availability=user.availability if user else "away",
        away_automatically=bool(user and user.away_automatically),
        locations=tuple((row[0], row[1]) for row in locations),
        offices=tuple(offices),
        view=view_of(user.board_view if user else None, [office for office, _ in offices]),
    )
