"""Counting what the intake stored, for tests that check "nothing was written"."""

from __future__ import annotations

from sqlalchemy import func, select

from router.core.models import AuditRecord, ConsentRecord, DomainEvent, IdempotencyRecord, Lead, Touchpoint


async def stored_counts(domain) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rows of every table an inquiry writes to."""
    async with domain.sessionmaker() as session:
        counts = {}
        for name, model in (
            ("leads", Lead),
            ("touchpoints", Touchpoint),
            ("events", DomainEvent),
            ("audit", AuditRecord),
            ("consents", ConsentRecord),
            ("idempotency", IdempotencyRecord),
        ):
            counts[name] = await session.scalar(select(func.count()).select_from(model)) or 0
        return counts


NOTHING = {"leads": 0, "touchpoints": 0, "events": 0, "audit": 0, "consents": 0, "idempotency": 0}
