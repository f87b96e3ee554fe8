"""When an appointment's messages go out: a confirmation at booking, then reminders before the visit.

Offsets in whole days keep the wall-clock time at the office ("two days before a 10:00 visit" is
10:00 two days earlier, across a daylight-saving change too); other offsets are elapsed time ("2 h
before"). A reminder that would fall in the patient's quiet hours moves earlier, never later; a
confirmation booked during quiet hours waits for the morning. A reminder that would go out before
the confirmation, or within half an hour of the message before it, is dropped: one message is enough.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from router.phones.quiet_hours import latest_allowed, next_allowed

DEFAULT_OFFSETS = (timedelta(hours=48), timedelta(hours=2))
"""Confirmation at booking, then 48 h and 2 h before: the pattern practices report halves no-shows."""
MIN_GAP = timedelta(minutes=30)
"""Two messages closer than this read as a glitch to the patient; the earlier one is enough."""


@dataclass(frozen=True)
class PlannedMessage:
    """One message of an appointment's plan: what it is and when it goes out."""

    kind: str
    """"confirmation", or "reminder_<hours>h" (e.g. reminder_48h)."""
    send_at: datetime


def before(starts_at: datetime, offset: timedelta, office_zone: ZoneInfo) -> datetime:
    """The moment `offset` before the visit: same wall-clock time for whole days, elapsed time otherwise."""
    if offset % timedelta(days=1) == timedelta(0):
        local = starts_at.astimezone(office_zone)
        earlier = (local.replace(tzinfo=None) - offset).replace(tzinfo=office_zone)
        return earlier.astimezone(starts_at.tzinfo)
    return starts_at - offset


def plan_messages(
    *,
    starts_at: datetime,
    booked_at: datetime,
    office_zone: ZoneInfo,
    patient_zones: tuple[ZoneInfo, ...],
    offsets: tuple[timedelta, ...] = DEFAULT_OFFSETS,
) -> list[PlannedMessage]:
    """The confirmation and reminders for one appointment, in sending order (see the module's rules)."""
    plan: list[PlannedMessage] = []
    confirmation = next_allowed(booked_at, patient_zones)
    if confirmation < starts_at:
        plan.append(PlannedMessage("confirmation", confirmation))
    for offset in sorted(offsets, reverse=True):
        due = latest_allowed(before(starts_at, offset, office_zone), patient_zones)
        if due <= booked_at or due >= starts_at:
            continue
        if plan and due - plan[-1].send_at < MIN_GAP:
            continue
        plan.append(PlannedMessage(f"reminder_{int(offset.total_seconds() // 3600)}h", due))
    return plan
