"""Idempotency of deliveries: a retried delivery gets the first answer again and writes nothing."""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import (
    IdempotencyRecord,
)
from router.intake.commands import (
    IdempotencyConflict,
    InquiryCommand,
    IntakeResult,
)

IDEMPOTENCY = IdempotencyRecord.__table__


RESERVE_DELIVERY = (
    pg_insert(IDEMPOTENCY)
    .values(
        scope=bindparam("scope"),
        key=bindparam("key"),
        request_sha256=bindparam("sha"),
        created_at=bindparam("at"),
    )
    .on_conflict_do_nothing()
    .returning(IDEMPOTENCY.c.key)
)


RECORD_ANSWER = (
    update(IDEMPOTENCY)
    .where(IDEMPOTENCY.c.scope == bindparam("b_scope"), IDEMPOTENCY.c.key == bindparam("b_key"))
    .values(status_code=bindparam("b_status"), response=bindparam("b_response"))
)


async def claim_idempotency_key(session: AsyncSession, command: InquiryCommand) -> IntakeResult | None:
    """Reserve the delivery id; concurrent duplicates wait here on the unique key, then replay."""
    inserted = await session.scalar(
        RESERVE_DELIVERY,
        {
            "scope": command.idempotency_scope,
            "key": command.idempotency_key,
            "sha": command.request_sha256,
            "at": command.received_at,
        },
    )
    if inserted is not None:
        return None
    replay = await previous_answer(session, command)
    assert replay is not None, "a reserved delivery id without its answer after the reserver committed"
    return replay


async def previous_answer(session: AsyncSession, command: InquiryCommand) -> IntakeResult | None:
    """The answer the first delivery of this id got (IdempotencyConflict if the body differs)."""
    previous = await session.get(IdempotencyRecord, (command.idempotency_scope, command.idempotency_key))
    if previous is None or previous.status_code is None:
        return None
    if bytes(previous.request_sha256) != command.request_sha256:
        raise IdempotencyConflict(command.idempotency_key)
    return IntakeResult(status_code=previous.status_code, body=previous.response or {}, replayed=True)
