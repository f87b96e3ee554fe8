"""What each form source received lately and what it was answered, for the web forms screen.

The webhook records every delivery to a known source: accepted (a new lead), merged (into the
person's open lead), replayed (a retry answered as before), or refused and why (signature,
unreadable body, which fields failed validation), never the body or a value from it. Only the
newest `KEPT_PER_SOURCE` are kept per source: this is a troubleshooting view, not an archive (the
audit log keeps what happened to patients' data).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from router.core.domain import Domain
from router.core.models import FormDelivery

KEPT_PER_SOURCE = 100
"""Enough to see a pattern in a day of a busy form; the screen shows the newest 20."""
SHOWN = 20


async def record_delivery(
    domain: Domain,
    *,
    form_source_id: uuid.UUID,
    received_at: datetime,
    status_code: int,
    outcome: str,
    reason: str | None = None,
    lead_id: uuid.UUID | None = None,
    webhook_id: str | None = None,
) -> None:
    """Append one delivery and trim the source's history (its own short transaction)."""
    async with domain.transaction() as session:
        session.add(
            FormDelivery(
                form_source_id=form_source_id,
                received_at=received_at,
                status_code=status_code,
                outcome=outcome,
                reason=(reason or None) and reason[:500],
                lead_id=lead_id,
                webhook_id=(webhook_id or None) and webhook_id[:200],
            )
        )
        await session.flush()
        oldest_kept = (
            select(FormDelivery.id)
            .where(FormDelivery.form_source_id == form_source_id)
            .order_by(FormDelivery.id.desc())
            .offset(KEPT_PER_SOURCE - 1)
            .limit(1)
            .scalar_subquery()
        )
        await session.execute(
            delete(FormDelivery).where(
                FormDelivery.form_source_id == form_source_id, FormDelivery.id < oldest_kept
            )
        )


def outcome_of(status_code: int, *, replayed: bool) -> str:
    """The word for an answered delivery."""
    if replayed:
        return "replayed"
    return {201: "accepted", 200: "merged"}.get(status_code, "refused")


@dataclass(frozen=True)
class DeliveryRow:
    received_at: datetime
    status_code: int
    outcome: str
    reason: str | None
    lead_id: uuid.UUID | None


async def recent_deliveries(
    domain: Domain, form_source_id: uuid.UUID, *, limit: int = SHOWN
) -> list[DeliveryRow]:
    async with domain.sessionmaker() as session:
        rows = await session.execute(
            select(
                FormDelivery.received_at,
                FormDelivery.status_code,
                FormDelivery.outcome,
                FormDelivery.reason,
                FormDelivery.lead_id,
            )
            .where(FormDelivery.form_source_id == form_source_id)
            .order_by(FormDelivery.id.desc())
            .limit(limit)
        )
        return [DeliveryRow(*row) for row in rows]
