"""Who may see what: a signed-in user's scope of practices, locations and leads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import CallCenterPractice, Lead, StaffLocation, StaffUser


@dataclass(frozen=True)
class Viewer:
    """A signed-in user with the scope their role gives them."""

    user_id: uuid.UUID
    role: str
    display_name: str
    practice_id: uuid.UUID | None
    location_ids: frozenset[uuid.UUID]
    overflow_practice_ids: frozenset[uuid.UUID]
    """Practices whose overflow queue an overflow agent works."""

    def lead_filter(self) -> ColumnElement[bool]:
        """SQL condition selecting exactly the leads this user may see."""
        if self.role == "admin":
            return true()
        if self.role == "physician":
            return Lead.referring_physician_id == self.user_id
        if self.role == "overflow_agent":
            if not self.overflow_practice_ids:
                return false()
            return and_(Lead.practice_id.in_(self.overflow_practice_ids), Lead.overflow.is_(True))
        if not self.location_ids or self.practice_id is None:
            return false()
        return and_(Lead.practice_id == self.practice_id, Lead.location_id.in_(self.location_ids))

    def may_see(self, lead: Lead) -> bool:
        """The same rule as `lead_filter`, for a lead already loaded."""
        if self.role == "admin":
            return True
        if self.role == "physician":
            return lead.referring_physician_id == self.user_id
        if self.role == "overflow_agent":
            return lead.practice_id in self.overflow_practice_ids and lead.overflow
        return lead.practice_id == self.practice_id and lead.location_id in self.location_ids

    def may_see_location(self, practice_id: uuid.UUID | None, location_id: uuid.UUID | None) -> bool:
        """Whether events of this location concern this user (boards filter pushes with it)."""
        if self.role == "admin":
            return True
        if self.role == "overflow_agent":
            return practice_id in self.overflow_practice_ids
        return practice_id == self.practice_id and location_id in self.location_ids


async def load_viewer(session: AsyncSession, user: StaffUser) -> Viewer:
    """The scope of a user from their assignments."""
    locations = frozenset(
        (
            await session.scalars(select(StaffLocation.location_id).where(StaffLocation.user_id == user.id))
        ).all()
    )
    overflow: frozenset[uuid.UUID] = frozenset()
    if user.call_center_id is not None:
        overflow = frozenset(
            (
                await session.scalars(
                    select(CallCenterPractice.practice_id).where(
                        CallCenterPractice.call_center_id == user.call_center_id
                    )
                )
            ).all()
        )
    return Viewer(
        user_id=user.id,
        role=user.role,
        display_name=user.display_name,
        practice_id=user.practice_id,
        location_ids=locations,
        overflow_practice_ids=overflow,
    )
