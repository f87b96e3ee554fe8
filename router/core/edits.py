"""Saving an edit from an administration screen: who changed it last, and what changed.

Every edited row (practice, location, staff account, phone settings) carries a `revision`. A form
sends the revision it was loaded at; `take_revision` refuses the save when the row has moved on
since ("changed by Maya at 10:02; reload"), else bumps it. `changes` is the before/after the audit
record keeps: names and values of configuration, never patient data.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from router.core.errors import EditConflict
from router.core.models import StaffUser


class Revised(Protocol):
    revision: int
    updated_at: Any
    updated_by_user_id: uuid.UUID | None


def parse_revision(value: str | int | None) -> int | None:
    """The revision a form was loaded at (None when the form did not say)."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


async def take_revision(
    session: AsyncSession,
    row: Revised,
    loaded_at: int | None,
    *,
    user_id: uuid.UUID,
    now: datetime,
    time_zone: str,
    what: str,
) -> None:
    """Refuse the save if `row` changed since `loaded_at` (EditConflict, naming who and when), else bump it.

    The caller holds the row locked (SELECT ... FOR UPDATE), so two saves from the same revision
    cannot both pass.
    """
    if loaded_at is not None and row.revision != loaded_at:
        who = await session.get(StaffUser, row.updated_by_user_id) if row.updated_by_user_id else None
        name = who.display_name if who else "someone else"
        when = ""
        if row.updated_at is not None:
            local = row.updated_at.astimezone(ZoneInfo(time_zone))
            when = f" at {local.strftime('%H:%M')} {local.tzname()} on {local.strftime('%b')} {local.day}"
        raise EditConflict(
            f"{what}: changed by {name}{when} after you opened this page. Nothing you typed was saved: "
            "reload the page to see their change, then make yours again."
        )
    row.revision = row.revision + 1
    row.updated_at = now
    row.updated_by_user_id = user_id


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}{key}."))
        return flat if flat or not prefix else {prefix[:-1]: {}}
    return {prefix[:-1]: value}


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{"assignment.strategy": [old, new], ...} for every value that differs (nested keys dotted)."""
    old, new = _flatten(before), _flatten(after)
    return {
        key: [old.get(key), new.get(key)]
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    }
