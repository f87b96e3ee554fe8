"""Marks: one row per kind of background run, overwritten by each run with its time and a report.

The status page reads their age. A part of the service that runs by itself writes its mark when a
run succeeds: the worker's heartbeat, the escalation sweep and the audit sealer (router/schedule.py
wraps them with `marked`), `leadrouter backup`, and the practice-management sync, which calls
`record_mark(domain, PMS_SYNC, ...)` at the end of every successful run (until it does, the status
page shows the sync as not configured).
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import OpsMark

WORKER_HEARTBEAT = "worker_heartbeat"
ESCALATION_SWEEP = "escalation_sweep"
AUDIT_SEAL = "audit_seal"
PMS_SYNC = "pms_sync"
BACKUP = "backup"


@dataclass(frozen=True)
class Mark:
    """When a run last succeeded, and what it reported."""

    name: str
    at: datetime
    detail: dict[str, Any]


async def record_mark(
    domain: Domain, name: str, detail: dict[str, Any] | None = None, *, at: datetime | None = None
) -> None:
    """Overwrite the mark `name` with now (or `at`) and `detail` (counts and names only, never PHI)."""
    when = at or domain.clock.now()
    statement = insert(OpsMark).values(name=name, at=when, detail=detail or {})
    statement = statement.on_conflict_do_update(
        index_elements=[OpsMark.name], set_={"at": statement.excluded.at, "detail": statement.excluded.detail}
    )
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(statement)


async def read_marks(session: AsyncSession) -> dict[str, Mark]:
    """Every mark, by name."""
    rows = (await session.execute(select(OpsMark))).scalars()
    return {row.name: Mark(row.name, row.at, dict(row.detail or {})) for row in rows}


Task = Callable[[dict[str, Any]], Awaitable[Any]]


def marked(name: str, task: Task) -> Task:
    """The worker task `task`, writing the mark `name` with what it returned each time it succeeds."""

    @functools.wraps(task)
    async def run(ctx: dict[str, Any]) -> Any:
        result = await task(ctx)
        await record_mark(ctx["domain"], name, result if isinstance(result, dict) else {})
        return result

    return run


async def worker_heartbeat(ctx: dict[str, Any]) -> dict[str, Any]:
    """The worker is alive, reaches Redis (it was handed this job) and PostgreSQL (it writes this)."""
    beat = {"host": socket.gethostname(), "pid": os.getpid()}
    await record_mark(ctx["domain"], WORKER_HEARTBEAT, beat)
    return beat
