"""Who may see what and do what: the one place a viewer's scope and role are turned into answers.

Two questions, each answered here and nowhere else:
- may this viewer see this lead? `Viewer.may_see` for a lead already loaded (a pushed row, a
  replayed event), `Viewer.lead_filter` as the same rule in SQL. Every read path (pages, the API,
  pushes, replays, exports) uses one of the two.
- may this viewer do this action (to this lead)? `may_do` / `require`, with the role table
  `ROLE_ACTIONS` that docs/security.md prints and a test asserts.

Break-glass access widens what a viewer may *see* (one practice, for a limited time, every read
flagged in the audit log); it never widens what they may *do*.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.errors import NotPermitted
from router.core.models import (
    BreakGlassGrant,
    CallCenterPractice,
    Lead,
    Referral,
    StaffLocation,
    StaffUser,
)

FRONT_DESK = "front_desk"
MANAGER = "manager"
PRACTICE_ADMIN = "practice_admin"
OVERFLOW_AGENT = "overflow_agent"
PHYSICIAN = "physician"
PHYSICIAN_OFFICE = "physician_office"
PLATFORM_OPERATOR = "platform_operator"

PRACTICE_STAFF_ROLES = frozenset({FRONT_DESK, MANAGER, PRACTICE_ADMIN})
"""Roles that belong to one practice and work its leads."""
MANAGING_ROLES = frozenset({MANAGER, PRACTICE_ADMIN})
"""Roles that oversee a practice: reassign, dashboards, models, attribution."""
REFERRER_ROLES = frozenset({PHYSICIAN, PHYSICIAN_OFFICE})
"""Referring physicians and their office staff: read-only on the referrals they sent."""

ACTIONS: dict[str, str] = {
    "lead.claim": "Claim a lead",
    "lead.release": "Release a lead they claimed",
    "lead.release_any": "Release a lead someone else claimed",
    "lead.log_attempt": "Log a contact attempt",
    "lead.log_contact": "Log a contact",
    "lead.close": "Close a lead",
    "lead.reassign": "Reassign a lead",
    "lead.add_by_hand": "Add a walk-in or phone inquiry",
    "lead.text": "Text a patient",
    "lead.call": "Call a patient from the board",
    "texts.inbox": "Read the practice's text inbox",
    "overflow.work": "Work the overflow queue (disposition, hand back)",
    "dashboard.view": "See the SLA dashboard",
    "attribution.view": "See and run attribution",
    "models.view": "See lead-score models",
    "models.promote": "Promote or roll back a lead-score model",
    "practice.configure": "Change practice settings, office hours and closures",
    "staff.manage": "Invite, change and deactivate staff",
    "spend.import": "Upload ad spend",
    "audit.review": "Review the audit log and patients' access reports",
    "practice.administer": "Add and close offices; web forms, chats, their secrets and phone numbers",
    "platform.administer": "Manage practices and call centers",
    "break_glass.start": "Open a patient's record outside their scope (break-glass)",
    "patient.export": "Export everything held about a patient (access request)",
    "nurture.manage": "Edit nurture sequences and message wording, see their results",
    "nurture.approve": "Approve message wording someone else wrote; promote an A/B winner",
    "funnel.view": "See the funnel and its checks",
    "funnel.reconcile": "Resolve a funnel check's finding (link, merge, dismiss)",
    "matching.review": "Review lead-to-patient matches",
    "status.view": "See the service's status (worker, queue, backups, servers)",
    "referral.send": "Refer a patient and follow the referrals they or their office sent",
    "referrers.manage": "Invite referring physicians and see referrer scorecards",
    "chat.reply": "Reply to a patient's chat",
    "lead.referral_link": "Make a patient's referral link",
    "complaint.flag": "Flag an open complaint about a patient (no review requests)",
    "complaint.clear": "Clear a complaint flag once it is resolved",
    "patient_referrals.view": "See which patient referred whom, and referral counts",
}
"""Every action a person can be allowed, in plain words (the role table in docs/security.md)."""

_DESK_ACTIONS = frozenset(
    {
        "lead.claim",
        "lead.release",
        "lead.log_attempt",
        "lead.log_contact",
        "lead.close",
        "lead.add_by_hand",
        "lead.text",
        "lead.call",
        "chat.reply",
        "lead.referral_link",
        "texts.inbox",
        "complaint.flag",
    }
)
_MANAGING_ACTIONS = _DESK_ACTIONS | {
    "lead.release_any",
    "lead.reassign",
    "dashboard.view",
    "attribution.view",
    "models.view",
    "models.promote",
    "practice.configure",
    "staff.manage",
    "spend.import",
    "audit.review",
    "break_glass.start",
    "patient.export",
    "nurture.manage",
    "nurture.approve",
    "funnel.view",
    "funnel.reconcile",
    "matching.review",
    "referrers.manage",
    "complaint.clear",
    "patient_referrals.view",
}
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    FRONT_DESK: _DESK_ACTIONS,
    MANAGER: _MANAGING_ACTIONS,
    PRACTICE_ADMIN: _MANAGING_ACTIONS | {"practice.administer", "status.view"},
    OVERFLOW_AGENT: frozenset(
        {
            "lead.claim",
            "lead.release",
            "lead.log_attempt",
            "lead.log_contact",
            "lead.text",
            "lead.call",
            "overflow.work",
        }
    ),
    PHYSICIAN: frozenset({"referral.send"}),
    PHYSICIAN_OFFICE: frozenset({"referral.send"}),
    PLATFORM_OPERATOR: frozenset({"platform.administer", "break_glass.start", "status.view"}),
}
"""What each role may do. Lead actions apply only to leads in the person's own scope."""
BREAK_GLASS_ROLES = frozenset(
    role for role, actions in ROLE_ACTIONS.items() if "break_glass.start" in actions
)

ROLE_NAMES: dict[str, str] = {
    FRONT_DESK: "Front desk",
    MANAGER: "Manager",
    PRACTICE_ADMIN: "Practice admin",
    OVERFLOW_AGENT: "Overflow agent",
    PHYSICIAN: "Referring physician",
    PHYSICIAN_OFFICE: "Referring office staff",
    PLATFORM_OPERATOR: "Platform operator",
}
"""Roles in the words shown on pages."""


class VisibleLead(Protocol):
    """What the visibility rule reads of a lead: an ORM row, a board row and a push all have it."""

    @property
    def practice_id(self) -> uuid.UUID | None: ...
    @property
    def location_id(self) -> uuid.UUID | None: ...
    @property
    def overflow(self) -> bool: ...
    @property
    def referring_physician_id(self) -> uuid.UUID | None: ...
    @property
    def referring_office_id(self) -> uuid.UUID | None: ...


@dataclass(frozen=True)
class BreakGlass:
    """An active break-glass grant: read access to one practice's leads until `expires_at`."""

    grant_id: uuid.UUID
    practice_id: uuid.UUID
    expires_at: datetime


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
    referring_office_id: uuid.UUID | None = None
    """The referring office a physician or their office staff belongs to."""
    break_glass: BreakGlass | None = None
    break_glass_lapsed: bool = False
    """A grant ran out and they have not yet seen the page saying so (their next page shows it)."""

    # --- seeing -------------------------------------------------------------------------------

    def lead_filter(self) -> ColumnElement[bool]:
        """SQL condition selecting exactly the leads this user may see (their scope or break-glass)."""
        own = self.work_filter()
        if self.break_glass is None:
            return own
        return or_(own, Lead.practice_id == self.break_glass.practice_id)

    def may_see(self, lead: VisibleLead) -> bool:
        """The same rule as `lead_filter`, for a lead already loaded (or a push describing one)."""
        if self.may_work(lead):
            return True
        return self.break_glass is not None and lead.practice_id == self.break_glass.practice_id

    def sees_by_break_glass(self, lead: VisibleLead) -> bool:
        """True when the viewer sees this lead only because of break-glass (the read is flagged)."""
        return self.break_glass is not None and not self.may_work(lead) and self.may_see(lead)

    # --- working ------------------------------------------------------------------------------

    def work_filter(self) -> ColumnElement[bool]:
        """SQL condition selecting the leads in the user's own scope (the ones actions may touch)."""
        role = self.role
        if role in REFERRER_ROLES:
            conditions = []
            if role == PHYSICIAN:
                conditions.append(Lead.referring_physician_id == self.user_id)
            if self.referring_office_id is not None:
                conditions.append(Lead.referring_office_id == self.referring_office_id)
            return or_(*conditions) if conditions else false()
        if role == OVERFLOW_AGENT:
            if not self.overflow_practice_ids:
                return false()
            return and_(Lead.practice_id.in_(self.overflow_practice_ids), Lead.overflow.is_(True))
        if role not in PRACTICE_STAFF_ROLES or self.practice_id is None:
            return false()
        if role == PRACTICE_ADMIN:
            return Lead.practice_id == self.practice_id
        if not self.location_ids:
            return false()
        return and_(Lead.practice_id == self.practice_id, Lead.location_id.in_(self.location_ids))

    def may_work(self, lead: VisibleLead) -> bool:
        """The same rule as `work_filter`, for a lead already loaded."""
        role = self.role
        if role in REFERRER_ROLES:
            if role == PHYSICIAN and lead.referring_physician_id == self.user_id:
                return True
            office = self.referring_office_id
            return office is not None and lead.referring_office_id == office
        if role == OVERFLOW_AGENT:
            return bool(lead.overflow) and lead.practice_id in self.overflow_practice_ids
        if role not in PRACTICE_STAFF_ROLES or self.practice_id is None:
            return False
        if lead.practice_id != self.practice_id:
            return False
        return role == PRACTICE_ADMIN or lead.location_id in self.location_ids

    def referral_filter(self) -> ColumnElement[bool]:
        """SQL condition on referrals: a referrer's own (as `work_filter` reads a referred lead)."""
        conditions = []
        if self.role == PHYSICIAN:
            conditions.append(Referral.referring_physician_id == self.user_id)
        if self.role in REFERRER_ROLES and self.referring_office_id is not None:
            conditions.append(Referral.referring_office_id == self.referring_office_id)
        return or_(*conditions) if conditions else false()

    def may_see_practice(self, practice_id: uuid.UUID) -> bool:
        """Whether practice-level pages (dashboard, attribution, models) of this practice are theirs."""
        return self.role in PRACTICE_STAFF_ROLES and self.practice_id == practice_id


def may_do(viewer: Viewer, action: str, lead: VisibleLead | None = None) -> bool:
    """Whether the viewer's role allows `action`, and, for a lead action, whether the lead is theirs."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if action not in ROLE_ACTIONS.get(viewer.role, frozenset()):
        return False
    return lead is None or viewer.may_work(lead)


def require(viewer: Viewer, action: str) -> None:
    """Refuse (403) before anything is read or written when the role does not allow the action."""
    if not may_do(viewer, action):
        role = ROLE_NAMES.get(viewer.role, viewer.role)
        raise NotPermitted(f"{role} accounts cannot do this: {ACTIONS[action].lower()}.")


async def load_viewer(session: AsyncSession, user: StaffUser, *, now: datetime | None = None) -> Viewer:
    """The scope of a user from their assignments (and their break-glass grant, when one is active)."""
    locations = frozenset(
        (
            await session.scalars(select(StaffLocation.location_id).where(StaffLocation.user_id == user.id))
        ).all()
    )
    overflow: frozenset[uuid.UUID] = frozenset()
    if user.call_center_id is not None and user.role == OVERFLOW_AGENT:
        overflow = frozenset(
            (
                await session.scalars(
                    select(CallCenterPractice.practice_id).where(
                        CallCenterPractice.call_center_id == user.call_center_id
                    )
                )
            ).all()
        )
    break_glass, lapsed = None, False
    if now is not None and user.role in BREAK_GLASS_ROLES:
        # One query for both: the newest grant not ended by hand is either running or ran out unseen.
        grant = await session.scalar(
            select(BreakGlassGrant)
            .where(BreakGlassGrant.user_id == user.id, BreakGlassGrant.ended_at.is_(None))
            .order_by(BreakGlassGrant.expires_at.desc())
            .limit(1)
        )
        if grant is not None and grant.expires_at > now:
            break_glass = BreakGlass(grant.id, grant.practice_id, grant.expires_at)
        lapsed = grant is not None and grant.expires_at <= now
    return Viewer(
        user_id=user.id,
        role=user.role,
        display_name=user.display_name,
        practice_id=user.practice_id,
        location_ids=locations,
        overflow_practice_ids=overflow,
        referring_office_id=user.referring_office_id,
        break_glass=break_glass,
        break_glass_lapsed=lapsed,
    )
