"""What a staff board shows: the open leads a viewer may see, in priority order, PHI read audited."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from router.appointments.booking import Choice, booking_choices
from router.board.card import CARD_READ_VIA, CARD_READ_WINDOW
from router.board.card_marks import (
    FollowUpCall,
    card_badges,
    follow_up_call,
    lateral_activity,
    lateral_call_back,
    lateral_follow_up_call,
    lateral_handback,
)
from router.core.domain import Domain
from router.core.models import Lead, Location, StaffLocation, StaffUser
from router.core.phi_columns import LEAD_FIRST_NAME, LEAD_LAST_NAME
from router.core.prepared import PreparedStatement
from router.privacy import audit
from router.privacy.access import MANAGING_ROLES, PRACTICE_STAFF_ROLES, Viewer

BOARD_SIZE = 200
"""Most open leads one board shows: a front desk with more than this needs a search, not a longer list."""
ORDER_RULE = (
    "Needs contact: escalated first, then urgent ones (an urgent referral, or the patient says it is "
    "an emergency or urgent), then highest score (unscored last), then longest waiting. In progress: "
    "the same order. Recently closed: last two hours, newest first."
)
"""The priority order in the staff's words; the board shows it above the list."""
RECENTLY_CLOSED = timedelta(hours=2)
"""How long a closed lead stays on the board, in its own folded group, for "who took that one?"."""
RECENTLY_CLOSED_SIZE = 100


@dataclass(frozen=True)
class StaffOption:
    """Someone a manager may hand a lead to."""

    id: uuid.UUID
    display_name: str


@dataclass(frozen=True)
class BoardLead:
    """One row of the board: the lead's current state, PHI decrypted for viewers who may see it."""

    id: uuid.UUID
    practice_id: uuid.UUID
    location_id: uuid.UUID | None
    location_name: str | None
    time_zone: str
    """The office's zone: the card's times are on its clock."""
    name: str
    source_kind: str
    source_channel: str
    treatment_interest: str | None
    score: int | None
    score_reasons: tuple[str, ...]
    score_pooled: bool
    received_at: datetime
    sla_due_at: datetime | None
    escalation_level: int
    overflow: bool
    urgent: bool
    referring_physician_id: uuid.UUID | None
    referring_office_id: uuid.UUID | None
    status: str
    assigned_user_id: uuid.UUID | None
    assigned_to: str | None
    claimed_by_user_id: uuid.UUID | None
    claimed_by: str | None
    claimed_at: datetime | None
    first_contact_at: datetime | None
    attempts: int
    close_reason: str | None = None
    closed_at: datetime | None = None
    badges: tuple[str, ...] = ()
    """What the timeline says at a glance: booked by overflow, handed back (with the note), texted
    back (the automatic text after a missed call), voicemail."""
    follow_up_call: FollowUpCall | None = None
    """An open staff call a follow-up sequence asks for (router/nurture), with its Done button."""

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def escalated_now(self) -> int:
        """The escalation level that still counts: none once someone reached the person."""
        return 0 if self.first_contact_at is not None else self.escalation_level

    @property
    def group(self) -> str:
        """Which part of the board the lead sits in: needs contact, in progress, recently closed."""
        if not self.is_open:
            return "closed"
        if self.first_contact_at is not None or self.claimed_by_user_id is not None:
            return "progress"
        return "needs"


def priority_key(lead: BoardLead) -> tuple[Any, ...]:
    """The board's order as a sort key (the same rule the SQL and the page's script apply)."""
    return (
        -lead.escalated_now,
        not lead.urgent,
        lead.score is None,
        -(lead.score or 0),
        lead.received_at,
        str(lead.id),
    )


_LEAD_COLUMNS = (
    Lead.id,
    Lead.practice_id,
    Lead.location_id,
    Lead.first_name_enc,
    Lead.last_name_enc,
    Lead.source_kind,
    Lead.source_channel,
    Lead.treatment_interest,
    Lead.score,
    Lead.score_reasons,
    Lead.score_pooled,
    Lead.received_at,
    Lead.sla_due_at,
    Lead.escalation_level,
    Lead.overflow,
    Lead.urgent,
    Lead.referring_physician_id,
    Lead.referring_office_id,
    Lead.status,
    Lead.assigned_user_id,
    Lead.claimed_by_user_id,
    Lead.claimed_at,
    Lead.first_contact_at,
    Lead.close_reason,
    Lead.closed_at,
)
"""The lead's columns a row shows (not the whole lead: its other PHI and history stay unread)."""


def _board_query():  # type: ignore[no-untyped-def]
    assignee = aliased(StaffUser)
    claimer = aliased(StaffUser)
    activity, handback, call_back = lateral_activity(), lateral_handback(), lateral_call_back()
    follow_up = lateral_follow_up_call()
    return (
        select(
            *_LEAD_COLUMNS,
            Location.name.label("location_name"),
            Location.time_zone.label("time_zone"),
            assignee.display_name.label("assigned_to"),
            claimer.display_name.label("claimed_by"),
            activity.c.attempts,
            activity.c.booked_by_overflow,
            activity.c.voicemail,
            activity.c.texted_back,
            handback.c.handback_id,
            handback.c.handback_note_enc,
            call_back.c.call_back_note_id,
            call_back.c.call_back_note_enc,
            call_back.c.call_back_due,
            follow_up.c.follow_up_task_id,
            follow_up.c.follow_up_due,
            follow_up.c.follow_up_reason,
            follow_up.c.follow_up_escalated,
            follow_up.c.follow_up_sequence,
        )
        .outerjoin(Location, Location.id == Lead.location_id)
        .outerjoin(assignee, assignee.id == Lead.assigned_user_id)
        .outerjoin(claimer, claimer.id == Lead.claimed_by_user_id)
        .join(activity, true())
        .outerjoin(handback, true())
        .outerjoin(call_back, true())
        .outerjoin(follow_up, true())
    )


_BOARD_LEADS_BY_ID = PreparedStatement(
    _board_query().where(Lead.id == func.any(bindparam("ids", type_=ARRAY(PG_UUID))))
)
"""Compiled once: the hub runs it for every batch of events it renders."""


async def _staff_at(session: AsyncSession, location_id: uuid.UUID | None) -> tuple[StaffOption, ...]:
    """Who can take leads at a location, by name."""
    if location_id is None:
        return ()
    rows = await session.execute(
        select(StaffUser.id, StaffUser.display_name)
        .join(StaffLocation, StaffLocation.user_id == StaffUser.id)
        .where(
            StaffLocation.location_id == location_id,
            StaffUser.is_active.is_(True),
            StaffUser.role.in_(PRACTICE_STAFF_ROLES),
        )
        .order_by(StaffUser.display_name)
    )
    return tuple(StaffOption(user_id, name) for user_id, name in rows)


def _row(domain: Domain, row: Mapping[str, Any]) -> BoardLead:
    """A board row from a `_board_query` row (SQLAlchemy's mapping or asyncpg's record)."""
    open_ = domain.cipher.open
    first = open_(row["first_name_enc"], column=LEAD_FIRST_NAME, row_id=row["id"]) or ""
    last = open_(row["last_name_enc"], column=LEAD_LAST_NAME, row_id=row["id"]) or ""
    return BoardLead(
        id=row["id"],
        practice_id=row["practice_id"],
        location_id=row["location_id"],
        location_name=row["location_name"],
        time_zone=row["time_zone"] or "UTC",
        name=f"{first} {last}".strip() or "(no name given)",
        source_kind=row["source_kind"],
        source_channel=row["source_channel"],
        treatment_interest=row["treatment_interest"],
        score=row["score"],
        score_reasons=tuple(str(reason) for reason in (row["score_reasons"] or [])[:3]),
        score_pooled=row["score_pooled"],
        received_at=row["received_at"],
        sla_due_at=row["sla_due_at"],
        escalation_level=row["escalation_level"],
        urgent=row["urgent"],
        overflow=row["overflow"],
        referring_physician_id=row["referring_physician_id"],
        referring_office_id=row["referring_office_id"],
        status=row["status"],
        assigned_user_id=row["assigned_user_id"],
        assigned_to=row["assigned_to"],
        claimed_by_user_id=row["claimed_by_user_id"],
        claimed_by=row["claimed_by"],
        claimed_at=row["claimed_at"],
        first_contact_at=row["first_contact_at"],
        attempts=int(row["attempts"] or 0),
        badges=card_badges(domain, row),
        follow_up_call=follow_up_call(row),
        close_reason=row["close_reason"],
        closed_at=row["closed_at"],
    )


async def load_board(
    session: AsyncSession, domain: Domain, viewer: Viewer, *, actor: audit.Actor
) -> list[BoardLead]:
    """The viewer's open leads in priority order, then those closed in the last two hours.

    Showing a card is a PHI read, audited once per lead, viewer and hour.
    """
    escalated_now = case((Lead.first_contact_at.is_(None), Lead.escalation_level), else_=0)
    open_rows = (
        await session.execute(
            _board_query()
            .where(viewer.lead_filter(), Lead.status == "open")
            .order_by(
                escalated_now.desc(),
                Lead.urgent.desc(),
                Lead.score.desc().nulls_last(),
                Lead.received_at,
                Lead.id,
            )
            .limit(BOARD_SIZE)
        )
    ).mappings()
    leads = [_row(domain, row) for row in open_rows]
    closed_rows = (
        await session.execute(
            _board_query()
            .where(
                viewer.lead_filter(),
                Lead.status != "open",
                Lead.closed_at > domain.clock.now() - RECENTLY_CLOSED,
            )
            .order_by(Lead.closed_at.desc(), Lead.id)
            .limit(RECENTLY_CLOSED_SIZE)
        )
    ).mappings()
    leads += [_row(domain, row) for row in closed_rows]
    await audit.record_reads_once(
        session,
        actor=actor,
        leads=[(lead.id, lead.practice_id) for lead in leads],
        via=CARD_READ_VIA,
        now=domain.clock.now(),
        window=CARD_READ_WINDOW,
    )
    return leads


async def load_board_leads(
    session: AsyncSession, domain: Domain, lead_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, BoardLead]:
    """Current state of some leads, whoever may see them (the hub renders once, then filters per board)."""
    if not lead_ids:
        return {}
    rows = await _BOARD_LEADS_BY_ID.fetch(session, {"ids": list(set(lead_ids))})
    return {row["id"]: _row(domain, row) for row in rows}


@dataclass(frozen=True)
class LeadChoices:
    """What a lead's "more" panel offers: the close and contact forms, and for managers, who can take it."""

    lead_id: uuid.UUID
    assigned_user_id: uuid.UUID | None
    staff: tuple[StaffOption, ...]
    """Staff of the lead's location (managers only; empty for everyone else)."""
    location_id: uuid.UUID | None = None
    locations: tuple[Choice, ...] = ()
    """The practice's open offices, for the booking's office."""
    providers: tuple[Choice, ...] = ()


async def load_lead_choices(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID) -> LeadChoices | None:
    """The panel's choices, read when a person opens it (None when the lead is not in their scope).

    Kept out of the pushed row: a row goes to every board of the location, and a list of the whole
    location's staff in it would grow every push with the size of the team. No PHI is read here.
    """
    row = (
        await session.execute(
            select(Lead.location_id, Lead.assigned_user_id, Lead.practice_id).where(
                Lead.id == lead_id, viewer.lead_filter()
            )
        )
    ).first()
    if row is None:
        return None
    location_id, assigned_user_id, practice_id = row
    staff = await _staff_at(session, location_id) if viewer.role in MANAGING_ROLES else ()
    locations, providers = await booking_choices(session, practice_id)
    return LeadChoices(
        lead_id=lead_id,
        assigned_user_id=assigned_user_id,
        staff=staff,
        location_id=location_id,
        locations=locations,
        providers=providers,
    )
