"""Patient lifetime values for attribution's value columns, from the practice-management system.

Once a practice has any real value (completed treatment of a linked patient), its simulated values
(the demo history's) are removed and the real ones written with source "pms"; values staff typed
are kept where the PMS has none. Run nightly before the attribution run.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Lead, PatientValue, Practice
from router.core.ports import PatientDirectory


async def refresh_patient_values(
    session: AsyncSession, directory: PatientDirectory, practice_id: uuid.UUID, *, now: datetime
) -> int:
    """Write the practice's real lifetime values; returns how many leads have one."""
    values = await directory.lifetime_values(session, practice_id)
    if not values:
        return 0
    known = set(
        (
            await session.scalars(select(Lead.id).where(Lead.practice_id == practice_id, Lead.id.in_(values)))
        ).all()
    )
    await session.execute(
        delete(PatientValue).where(
            PatientValue.practice_id == practice_id, PatientValue.source == "simulator"
        )
    )
    for lead_id in known:
        statement = insert(PatientValue).values(
            lead_id=lead_id,
            practice_id=practice_id,
            value=float(values[lead_id]),
            source="pms",
            recorded_at=now,
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[PatientValue.lead_id],
                set_={"value": statement.excluded.value, "source": "pms", "recorded_at": now},
            )
        )
    return len(known)


async def refresh_patient_values_task(ctx: dict[str, Any]) -> dict[str, int]:
    """Nightly, for every practice, one transaction each."""
    domain: Domain = ctx["domain"]
    async with domain.sessionmaker() as session:
        practice_ids = (await session.scalars(select(Practice.id))).all()
    written = 0
    for practice_id in practice_ids:
        async with domain.sessionmaker() as session, session.begin():
            written += await refresh_patient_values(
                session, domain.patients, practice_id, now=domain.clock.now()
            )
    return {"practices": len(practice_ids), "values": written}
