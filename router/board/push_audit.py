"""The audit of leads pushed to live boards: one row per pushed event, naming every receiving session."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import DateTime, String, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from router.core.domain import Domain
from router.core.prepared import PreparedStatement
from router.privacy import audit

BOARD_PUSH = audit.Actor.system("board-push")
"""Actor of the audit rows for leads pushed to live boards (the receiving users are in the details)."""


_PUSH_AUDIT = PreparedStatement(
    text(
        "INSERT INTO audit_log (occurred_at, actor_type, actor_id, action, practice_id, lead_id, ip, details)"
        " SELECT :occurred_at, :actor_type, :actor_id, 'lead.read', r.practice_id, r.lead_id, :ip, r.details"
        " FROM jsonb_to_recordset(:rows) AS r(practice_id uuid, lead_id uuid, details jsonb)"
    ).bindparams(
        bindparam("occurred_at", type_=DateTime(timezone=True)),
        bindparam("actor_type", type_=String),
        bindparam("actor_id", type_=String),
        bindparam("ip", type_=String),
        bindparam("rows", type_=JSONB),
    )
)
"""One statement, its own transaction: the hub reports every push it makes, so this runs per event."""


async def record_board_pushes(
    domain: Domain,
    deliveries: Sequence[
        tuple[
            int,
            uuid.UUID | None,
            uuid.UUID | None,
            Sequence[tuple[uuid.UUID, str | None, uuid.UUID | None]],
        ]
    ],
) -> None:
    """Audit PHI pushed to boards: one row per pushed event, naming the event and every receiving session.

    A receiver who saw the lead only through break-glass access is flagged with the grant's id.
    """
    rows = []
    for event_id, practice_id, lead_id, receivers in deliveries:
        details: dict[str, Any] = {
            "via": "push",
            "event_id": event_id,
            "user_ids": sorted({str(user) for user, _, _ in receivers}),
            "sessions": sorted({key for _, key, _ in receivers if key}),
        }
        grants = sorted({str(grant) for _, _, grant in receivers if grant})
        if grants:
            details["break_glass"] = grants
        rows.append(
            {
                "practice_id": str(practice_id) if practice_id else None,
                "lead_id": str(lead_id) if lead_id else None,
                "details": details,
            }
        )
    if rows:
        params = {
            "occurred_at": domain.clock.now(),
            "actor_type": BOARD_PUSH.type,
            "actor_id": BOARD_PUSH.id,
            "ip": BOARD_PUSH.ip,
            "rows": rows,
        }
        async with domain.sessionmaker() as session:
            await _PUSH_AUDIT.fetch(session, params, own_transaction=True)
