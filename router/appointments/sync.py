"""The PMS sync: the worker reads what changed in each practice's PMS since a stored cursor.

Each change is applied in its own transaction together with the cursor's advance, so a worker
killed anywhere (mid-page included) loses nothing and repeats at most the one change it was
applying; the next run reads from the cursor again (`_lastUpdated` at or after it), and a change
seen twice is skipped by its version. A PMS that fails makes the next attempt wait longer (back-off)
and, after `ALERT_AFTER` of failing, alerts the practice's managers once; the lead flow never waits.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from arq import Retry
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.changes import apply_appointment
from router.appointments.manager_notice import notify_managers
from router.appointments.patients import apply_patient
from router.appointments.records import AppointmentRecord, PatientRecord
from router.appointments.subscriptions import ensure_subscription
from router.core.domain import Domain
from router.core.models import Patient, PmsConnection, PmsSyncRun
from router.core.pms_ports import PmsAddress, PmsClient, PmsRefused, PmsUnavailable
from router.ops.marks import PMS_SYNC, record_mark
from router.practices.alert_wording import PMS_SYNC_FAILING
from router.privacy import audit

log = logging.getLogger("leadrouter.pms")

RESOURCES = ("Patient", "Appointment")
"""Patients first, so a page of appointments finds its patients stored."""
BACKOFF_MIN = timedelta(minutes=1)
BACKOFF_MAX = timedelta(minutes=15)
"""After a failure the next attempt waits half the time the PMS has been failing, between these: a
blip retries within a minute, a long outage costs one request every 15 minutes."""
ALERT_AFTER = timedelta(minutes=30)
"""A PMS failing this long is not a blip: managers are told once per outage."""
PAGES_PER_RUN = 200
"""A bound on one run's work (20,000 changes); a backlog continues on the next run from the cursor."""
SYNC_ACTOR = audit.Actor.system("pms-sync")
SYNC_LOCK_NAMESPACE = 0x504D53  # "PMS": keeps these advisory-lock keys apart from others
BUSY_RETRIES = 5
BUSY_RETRY_SECONDS = 15
"""An on-demand sync that finds another running waits this long and tries again, up to 5 times
(a run of a few pages takes seconds; a first sync of thousands of changes may outlast them all,
and reads the change itself)."""


@dataclass
class SyncOutcome:
    """What one run did (the worker's job result)."""

    seen: int = 0
    changed: int = 0
    problems: list[str] = field(default_factory=list)
    failed: bool = False
    skipped: bool = False
    """Another worker was already syncing the practice."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "changed": self.changed,
            "problems": len(self.problems),
            "failed": self.failed,
            "skipped": self.skipped,
        }


async def sync_due_practices(domain: Domain) -> dict[str, int]:
    """Sync every FHIR-connected practice whose back-off (if any) has passed."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        due = (
            await session.scalars(
                select(PmsConnection.practice_id).where(
                    PmsConnection.kind == "fhir",
                    or_(PmsConnection.next_sync_at.is_(None), PmsConnection.next_sync_at <= now),
                )
            )
        ).all()
    totals = {"practices": 0, "changed": 0, "failed": 0}
    for practice_id in due:
        outcome = await sync_practice(domain, practice_id)
        totals["practices"] += 1
        totals["changed"] += outcome.changed
        totals["failed"] += int(outcome.failed)
    if totals["practices"] and not totals["failed"]:
        await record_mark(domain, PMS_SYNC, totals)  # the operator's status page reads it
    return totals


async def sync_practice(domain: Domain, practice_id: uuid.UUID) -> SyncOutcome:
    """One run for one practice, unless another worker is running one (a session advisory lock,
    released by PostgreSQL if that worker dies)."""
    key = int.from_bytes(practice_id.bytes[:8], "big", signed=True) ^ SYNC_LOCK_NAMESPACE
    async with domain.sessionmaker() as lock:
        if not await lock.scalar(select(func.pg_try_advisory_lock(key))):
            return SyncOutcome(skipped=True)
        try:
            return await _run(domain, practice_id)
        finally:
            await lock.scalar(select(func.pg_advisory_unlock(key)))
            await lock.commit()


async def _run(domain: Domain, practice_id: uuid.UUID) -> SyncOutcome:
    """Every change since the cursor, recorded as a run row."""
    address, run_id = await _start_run(domain, practice_id)
    outcome = SyncOutcome()
    if address is None:
        return outcome
    try:
        client = domain.pms.client(address)
    except PmsRefused as exc:
        await _finish(domain, practice_id, run_id, outcome, error=str(exc))
        return outcome
    try:
        for resource in RESOURCES:
            await _read_changes(domain, client, practice_id, resource, outcome)
        await ensure_subscription(domain, client, practice_id)
    except (PmsUnavailable, PmsRefused) as exc:
        log.warning("PMS sync of practice %s failed: %s", practice_id, exc)
        await _finish(domain, practice_id, run_id, outcome, error=str(exc))
        return outcome
    finally:
        await client.close()
    await _finish(domain, practice_id, run_id, outcome, error=None)
    return outcome


async def _start_run(domain: Domain, practice_id: uuid.UUID) -> tuple[PmsAddress | None, uuid.UUID]:
    now = domain.clock.now()
    run_id = uuid.uuid4()
    async with domain.sessionmaker() as session, session.begin():
        connection = await session.get(PmsConnection, practice_id)
        # A run still "running" was killed (its work is kept; this run resumes from the cursor).
        await session.execute(
            update(PmsSyncRun)
            .where(PmsSyncRun.practice_id == practice_id, PmsSyncRun.status == "running")
            .values(status="stopped", finished_at=now)
        )
        session.add(
            PmsSyncRun(
                id=run_id,
                practice_id=practice_id,
                kind="poll",
                started_at=now,
                status="running",
                seen=0,
                changed=0,
                problems=[],
            )
        )
        if connection is None or connection.kind != "fhir":
            return None, run_id
        return PmsAddress(practice_id=practice_id, kind=connection.kind, base_url=connection.base_url), run_id


async def _read_changes(
    domain: Domain, client: PmsClient, practice_id: uuid.UUID, resource: str, outcome: SyncOutcome
) -> None:
    async with domain.sessionmaker() as session:
        connection = await session.get(PmsConnection, practice_id)
        since = (connection.cursor or {}).get(resource) if connection else None
    page_address = None
    for _ in range(PAGES_PER_RUN):
        page = await client.changes(resource, since=since, page=page_address)
        for patient in page.patients:
            await _apply(domain, client, practice_id, patient, resource, outcome)
        for appointment in page.appointments:
            await _apply(domain, client, practice_id, appointment, resource, outcome)
        if page.next_page is None:
            return
        page_address = page.next_page


async def _apply(
    domain: Domain,
    client: PmsClient,
    practice_id: uuid.UUID,
    record: PatientRecord | AppointmentRecord,
    resource: str,
    outcome: SyncOutcome,
) -> None:
    """Apply one change and advance the cursor past it, in one transaction; ring boards after commit."""
    outcome.seen += 1
    if isinstance(record, AppointmentRecord) and record.patient_pms_id:
        await _ensure_patient(domain, client, practice_id, record.patient_pms_id, outcome)
    now = domain.clock.now()
    async with domain.transaction() as session:  # a note on a lead rings its boards after commit
        if isinstance(record, PatientRecord):
            applied = await apply_patient(domain, session, practice_id, record, source="fhir", now=now)
            changed = applied.changed
        else:
            result = await apply_appointment(domain, session, practice_id, record, now=now)
            changed = result.changed
            if result.problem:
                outcome.problems.append(f"Appointment {record.pms_id}: {result.problem}")
        if record.updated_at is not None:
            await _advance(session, practice_id, resource, record.updated_at.isoformat())
    outcome.changed += int(changed)


async def _ensure_patient(
    domain: Domain, client: PmsClient, practice_id: uuid.UUID, pms_id: str, outcome: SyncOutcome
) -> None:
    """Fetch and store a patient an appointment names before the patient pass has seen them."""
    async with domain.sessionmaker() as session:
        known = await session.scalar(
            select(Patient.id).where(Patient.practice_id == practice_id, Patient.pms_id == pms_id)
        )
    if known is not None:
        return
    page = await client.patient(pms_id)
    async with domain.sessionmaker() as session, session.begin():
        for record in page.patients:
            applied = await apply_patient(
                domain, session, practice_id, record, source="fhir", now=domain.clock.now()
            )
            outcome.changed += int(applied.changed)


async def _advance(session: AsyncSession, practice_id: uuid.UUID, resource: str, instant: str) -> None:
    connection = await session.get(PmsConnection, practice_id, with_for_update=True)
    if connection is None:
        return
    cursor = dict(connection.cursor or {})
    current = cursor.get(resource)
    if current is None or datetime.fromisoformat(current) < datetime.fromisoformat(instant):
        cursor[resource] = instant
        connection.cursor = cursor


async def _finish(
    domain: Domain, practice_id: uuid.UUID, run_id: uuid.UUID, outcome: SyncOutcome, *, error: str | None
) -> None:
    now = domain.clock.now()
    alert = False
    async with domain.sessionmaker() as session, session.begin():
        run = await session.get(PmsSyncRun, run_id)
        connection = await session.get(PmsConnection, practice_id, with_for_update=True)
        problems = outcome.problems + ([error] if error else [])
        if run is not None:
            run.finished_at, run.seen, run.changed = now, outcome.seen, outcome.changed
            run.status = "failed" if error else "done"
            run.problems = problems[:100]
        if connection is not None:
            connection.last_sync_at = now
            connection.last_error = error
            if error is None:
                connection.last_success_at = now
                connection.failing_since = connection.next_sync_at = connection.alerted_at = None
            else:
                outcome.failed = True
                connection.failing_since = connection.failing_since or now
                failing_for = now - connection.failing_since
                connection.next_sync_at = now + min(BACKOFF_MAX, max(BACKOFF_MIN, failing_for / 2))
                if failing_for >= ALERT_AFTER and connection.alerted_at is None:
                    connection.alerted_at = now
                    alert = True
        if outcome.changed or outcome.seen:
            audit.record(
                session,
                actor=SYNC_ACTOR,
                action="pms.synced",
                practice_id=practice_id,
                details={"seen": outcome.seen, "changed": outcome.changed, "failed": bool(error)},
            )
    if alert:
        await notify_managers(domain, practice_id, alert=PMS_SYNC_FAILING, values={"error": str(error)})


@dataclass(frozen=True)
class PmsSyncStatus:
    """Where a practice's PMS sync stands (for the operator's status page and the settings screen)."""

    kind: str
    last_sync_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    failing_since: datetime | None


async def last_pms_sync(session: AsyncSession, practice_id: uuid.UUID) -> PmsSyncStatus | None:
    """The practice's last sync (None when it has no PMS connection)."""
    connection = await session.get(PmsConnection, practice_id)
    if connection is None:
        return None
    return PmsSyncStatus(
        kind=connection.kind,
        last_sync_at=connection.last_sync_at,
        last_success_at=connection.last_success_at,
        last_error=connection.last_error,
        failing_since=connection.failing_since,
    )


async def sync_pms_task(ctx: dict[str, Any]) -> dict[str, int]:
    """The worker's periodic sync of every connected practice."""
    return await sync_due_practices(ctx["domain"])


async def sync_practice_task(ctx: dict[str, Any], practice_id: str) -> dict[str, Any]:
    """One practice's sync on demand ("Sync now", a PMS notification). A run already going when it
    came may have read past the change before it was made: this one runs again a little later."""
    outcome = await sync_practice(ctx["domain"], uuid.UUID(practice_id))
    if outcome.skipped and ctx.get("job_try", 1) < BUSY_RETRIES:
        raise Retry(defer=BUSY_RETRY_SECONDS)
    return outcome.as_dict()
