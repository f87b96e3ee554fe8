"""The marks a board card carries from the lead's history: booked or handed back by the overflow
call center (with the start of the agent's note), a call-back that has fallen due, a text-back, a
voicemail. Read with the row in one statement (lateral subqueries), so a push costs no extra trip."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from router.core.domain import Domain
from router.core.models import (
    CallBackTask,
    Interaction,
    Lead,
    NurtureCallTask,
    NurtureEnrolment,
    NurtureSequence,
    NurtureSequenceVersion,
)
from router.core.phi_columns import INTERACTION_NOTE


def lateral_activity():  # type: ignore[no-untyped-def]
    """What the lead's timeline says, in one pass over its interactions: attempts and the badges."""
    kind, outcome = Interaction.kind, Interaction.outcome
    return (
        select(
            func.count().filter(kind == "contact_attempt").label("attempts"),
            func.bool_or(and_(kind == "disposition", outcome == "booked")).label("booked_by_overflow"),
            func.bool_or(and_(kind == "call", outcome == "voicemail")).label("voicemail"),
            func.bool_or(and_(kind == "sms", Interaction.details["automated"].astext == "true")).label(
                "texted_back"
            ),
        )
        .where(Interaction.lead_id == Lead.id)
        .correlate(Lead)
        .lateral("activity")
    )


def lateral_handback():  # type: ignore[no-untyped-def]
    """The latest hand-back from the overflow call center, whose note the card quotes."""
    return (
        select(Interaction.id.label("handback_id"), Interaction.note_enc.label("handback_note_enc"))
        .where(Interaction.lead_id == Lead.id, Interaction.kind == "handback")
        .order_by(Interaction.occurred_at.desc())
        .limit(1)
        .correlate(Lead)
        .lateral("handback")
    )


def lateral_call_back():  # type: ignore[no-untyped-def]
    """A call-back the overflow agent set that has fallen due and is not done, with the agent's note."""
    return (
        select(
            Interaction.id.label("call_back_note_id"),
            Interaction.note_enc.label("call_back_note_enc"),
            CallBackTask.due_at.label("call_back_due"),
        )
        .select_from(CallBackTask)
        .outerjoin(Interaction, Interaction.id == CallBackTask.interaction_id)
        .where(
            CallBackTask.lead_id == Lead.id,
            CallBackTask.surfaced_at.is_not(None),
            CallBackTask.done_at.is_(None),
        )
        .order_by(CallBackTask.due_at.desc())
        .limit(1)
        .correlate(Lead)
        .lateral("call_back")
    )


def lateral_follow_up_call():  # type: ignore[no-untyped-def]
    """The lead's oldest open follow-up call task (a task exists from the moment it falls due)."""
    return (
        select(
            NurtureCallTask.id.label("follow_up_task_id"),
            NurtureCallTask.due_at.label("follow_up_due"),
            NurtureCallTask.reason.label("follow_up_reason"),
            NurtureCallTask.escalated_at.label("follow_up_escalated"),
            NurtureSequence.name.label("follow_up_sequence"),
        )
        .select_from(NurtureCallTask)
        .outerjoin(NurtureEnrolment, NurtureEnrolment.id == NurtureCallTask.enrolment_id)
        .outerjoin(NurtureSequenceVersion, NurtureSequenceVersion.id == NurtureEnrolment.sequence_version_id)
        .outerjoin(NurtureSequence, NurtureSequence.id == NurtureSequenceVersion.sequence_id)
        .where(NurtureCallTask.lead_id == Lead.id, NurtureCallTask.status == "open")
        .order_by(NurtureCallTask.due_at)
        .limit(1)
        .correlate(Lead)
        .lateral("follow_up")
    )


@dataclass(frozen=True)
class FollowUpCall:
    """A staff call a follow-up sequence asks for, shown on the lead's card with a Done button."""

    task_id: uuid.UUID
    due_at: datetime
    reason: str
    """Why a person calls, in the staff's words."""
    escalated: bool


def call_reason(reason: str | None, sequence: str | None) -> str:
    """Why the follow-up asks for a call, in the staff's words."""
    plan = f"the {sequence} follow-up" if sequence else "the follow-up"
    if reason == "high_score":
        return f"high score: a call instead of {plan}'s automated message"
    return f"{plan} asks for a call"


def follow_up_call(row: Mapping[str, Any]) -> FollowUpCall | None:
    if row["follow_up_task_id"] is None:
        return None
    return FollowUpCall(
        row["follow_up_task_id"],
        row["follow_up_due"],
        call_reason(row["follow_up_reason"], row["follow_up_sequence"]),
        row["follow_up_escalated"] is not None,
    )


HANDBACK_NOTE_CHARACTERS = 80
"""The badge quotes the start of the agent's note; the lead's page has all of it."""


def card_badges(domain: Domain, row: Mapping[str, Any]) -> tuple[str, ...]:
    badges = []
    if row["booked_by_overflow"]:
        badges.append("Booked by overflow")
    if row["handback_id"] is not None:
        note = _quoted(domain, row["handback_note_enc"], row["handback_id"])
        badges.append(f"Handed back: {note}" if note else "Handed back")
    if row["call_back_due"] is not None:
        note = _quoted(domain, row["call_back_note_enc"], row["call_back_note_id"])
        badges.append(f"Call back now: {note}" if note else "Call back now")
    if row["texted_back"]:
        badges.append("Texted back")
    if row["voicemail"]:
        badges.append("Voicemail")
    return tuple(badges)


def _quoted(domain: Domain, note_enc: bytes | None, note_id: Any) -> str:
    """The start of an agent's note, as a card quotes it."""
    note = " ".join((domain.cipher.open(note_enc, column=INTERACTION_NOTE, row_id=note_id) or "").split())
    if len(note) > HANDBACK_NOTE_CHARACTERS:
        note = note[:HANDBACK_NOTE_CHARACTERS].rsplit(" ", 1)[0] + "…"
    return note
