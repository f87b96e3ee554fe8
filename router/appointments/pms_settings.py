"""A practice's PMS settings and the file exports uploaded on its settings screen."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.changes import apply_appointment
from router.appointments.patients import apply_patient, apply_treatment_plan
from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.core.models import PMS_KINDS, Appointment, Patient, PmsConnection, PmsSyncRun, Practice
from router.core.pms_ports import PmsRefused
from router.privacy import audit
from router.privacy.access import Viewer, require

EXPORT_UPLOAD_MAX_BYTES = 20_000_000
"""A nightly export of a large practice: ~40,000 patients at ~300 bytes a row, with room to spare."""
RECENT_RUNS = 10


async def save_pms_connection(
    domain: Domain,
    viewer: Viewer,
    *,
    kind: str,
    base_url: str,
    writable: bool,
    actor: audit.Actor,
) -> None:
    """Connect the practice to its PMS (FHIR address, or file exports), or disconnect it ("none")."""
    require(viewer, "practice.configure")
    assert viewer.practice_id is not None
    base_url = base_url.strip()
    errors: dict[str, str] = {}
    if kind not in (*PMS_KINDS, "none"):
        errors["kind"] = "Choose how your practice-management system shares its data."
    if kind == "fhir":
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors["base_url"] = "Enter the FHIR server's address, e.g. https://pms.example.com/fhir."
    if errors:
        raise InvalidFields(errors)
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        connection = await session.get(PmsConnection, viewer.practice_id, with_for_update=True)
        if kind == "none":
            if connection is not None:
                await session.delete(connection)
        else:
            if connection is None:
                connection = PmsConnection(practice_id=viewer.practice_id, cursor={})
                session.add(connection)
            if connection.base_url != base_url or connection.kind != kind:
                connection.cursor = {}  # another server: read it from the start
            connection.kind = kind
            connection.base_url = base_url if kind == "fhir" else None
            connection.writable = writable and kind == "fhir"
            connection.updated_at = now
        audit.record(
            session,
            actor=actor,
            action="pms.configured",
            practice_id=viewer.practice_id,
            details={"kind": kind, "writable": writable and kind == "fhir"},
        )


@dataclass
class ExportImported:
    """What an uploaded export did."""

    file_name: str
    kind: str
    seen: int = 0
    changed: int = 0
    problems: list[str] = field(default_factory=list)


async def import_export(
    domain: Domain, viewer: Viewer, *, text: str, file_name: str, actor: audit.Actor
) -> ExportImported:
    """Import a patients, appointments or treatments export (bad lines named; a re-import changes nothing)."""
    require(viewer, "practice.configure")
    assert viewer.practice_id is not None
    return await import_export_for(domain, viewer.practice_id, text=text, file_name=file_name, actor=actor)


async def import_export_for(
    domain: Domain, practice_id: uuid.UUID, *, text: str, file_name: str, actor: audit.Actor
) -> ExportImported:
    """`import_export` for a practice (an upload, or a file from the practice's drop folder)."""
    try:
        batch = domain.pms.read_export(text, file_name=file_name)
    except PmsRefused as exc:
        raise InvalidFields({"export": f"{file_name}: {exc}"}) from exc
    now = domain.clock.now()
    result = ExportImported(file_name=file_name, kind=batch.kind, problems=[str(p) for p in batch.problems])
    async with domain.transaction() as session:
        zone = (await session.get(Practice, practice_id)).time_zone  # type: ignore[union-attr]
        for patient in batch.patients:
            applied = await apply_patient(domain, session, practice_id, patient, source="file", now=now)
            result.changed += int(applied.changed)
        for appointment in batch.appointments:
            if not await _patient_known(session, practice_id, appointment.patient_pms_id):
                result.problems.append(
                    f"{file_name}, appointment {appointment.pms_id}: patient {appointment.patient_pms_id} is "
                    "not known yet; import the patients export first."
                )
                continue
            done = await apply_appointment(domain, session, practice_id, appointment, now=now)
            result.changed += int(done.changed)
            if done.problem:
                result.problems.append(f"{file_name}, appointment {appointment.pms_id}: {done.problem}")
        for plan in batch.treatment_plans:
            outcome = await apply_treatment_plan(session, practice_id, plan, zone=zone, now=now)
            if isinstance(outcome, str):
                result.problems.append(f"{file_name}, plan {plan.pms_id}: {outcome}")
            else:
                result.changed += int(outcome)
        result.seen = len(batch.patients) + len(batch.appointments) + len(batch.treatment_plans)
        session.add(
            PmsSyncRun(
                id=uuid.uuid4(),
                practice_id=practice_id,
                kind="file",
                started_at=now,
                finished_at=now,
                status="done",
                seen=result.seen,
                changed=result.changed,
                problems=result.problems[:100],
            )
        )
        audit.record(
            session,
            actor=actor,
            action="pms.imported",
            practice_id=practice_id,
            details={
                "file": file_name[:200],
                "kind": batch.kind,
                "rows": result.seen,
                "skipped": len(batch.problems),
            },
        )
    return result


async def _patient_known(session: AsyncSession, practice_id: uuid.UUID, pms_id: str | None) -> bool:
    found = await session.scalar(
        select(Patient.id).where(Patient.practice_id == practice_id, Patient.pms_id == pms_id)
    )
    return found is not None


@dataclass(frozen=True)
class PmsOverview:
    """The settings screen's figures: the connection, its health and the recent runs."""

    connection: PmsConnection | None
    runs: list[PmsSyncRun]
    pending_bookings: int
    time_zone: str


async def pms_overview(session: AsyncSession, practice_id: uuid.UUID) -> PmsOverview:
    connection = await session.get(PmsConnection, practice_id)
    runs = (
        await session.scalars(
            select(PmsSyncRun)
            .where(PmsSyncRun.practice_id == practice_id)
            .order_by(PmsSyncRun.started_at.desc())
            .limit(RECENT_RUNS)
        )
    ).all()
    pending = await session.scalar(
        select(func.count()).where(
            Appointment.practice_id == practice_id, Appointment.pms_state.in_(("pending", "failed"))
        )
    )
    practice = await session.get(Practice, practice_id)
    return PmsOverview(connection, list(runs), int(pending or 0), practice.time_zone if practice else "UTC")
