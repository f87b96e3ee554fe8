"""Storing the checks' findings (nightly and "check now") and resolving them: link an appointment,
merge duplicate leads, or dismiss with a reason; every resolution is audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import ActionRefused, InvalidFields
from router.core.models import Appointment, Lead, Practice, ReconciliationFinding
from router.core.ports import PatientDirectory
from router.funnel.facts import load_facts, practice_uses_pms
from router.funnel.reconciliation import RESOLUTIONS, Finding, check_funnel
from router.privacy import audit
from router.privacy.access import Viewer, require

CHECK_WINDOW = timedelta(days=400)
"""Leads of the last 13 months are checked: a year of funnel plus a month for late PMS updates."""

REASON_MAX = 500


@dataclass(frozen=True, slots=True)
class CheckRun:
    """What one check of one practice did: findings seen, new ones, open ones no longer found."""

    found: int
    new: int
    cleared: int


async def run_checks(
    session: AsyncSession, practice_id: uuid.UUID, *, now: datetime, patients: PatientDirectory | None = None
) -> CheckRun:
    """Check the practice's recent leads; store new findings, refresh seen ones, clear vanished ones.

    `patients` gives the lead-patient links the duplicate rule reads (none: no duplicates found).
    """
    links = await patients.lead_links(session, practice_id) if patients is not None else {}
    facts = [
        f
        for f in await load_facts(session, practice_id, patient_links=links)
        if now - f.received_at <= CHECK_WINDOW
    ]
    found = check_funnel(facts, now=now, practice_uses_pms=await practice_uses_pms(session, practice_id))
    stored = {
        row.fingerprint: row
        for row in await session.scalars(
            select(ReconciliationFinding).where(ReconciliationFinding.practice_id == practice_id)
        )
    }
    new = 0
    for finding in found:
        row = stored.get(finding.fingerprint)
        if row is None:
            session.add(_row(practice_id, finding, now))
            new += 1
        else:
            row.last_seen_at = now
    seen = {f.fingerprint for f in found}
    cleared = 0
    for fingerprint, row in stored.items():
        if row.status == "open" and fingerprint not in seen:
            row.status, row.resolution, row.resolved_at = "resolved", "cleared", now
            cleared += 1
    return CheckRun(found=len(found), new=new, cleared=cleared)


def _row(practice_id: uuid.UUID, finding: Finding, now: datetime) -> ReconciliationFinding:
    return ReconciliationFinding(
        id=uuid.uuid4(),
        practice_id=practice_id,
        rule=finding.rule,
        fingerprint=finding.fingerprint,
        lead_ids=[str(i) for i in finding.lead_ids],
        details=dict(finding.details),
        status="open",
        found_at=now,
        last_seen_at=now,
    )


async def nightly_reconciliation(ctx: dict[str, Any]) -> dict[str, int]:
    """The worker's nightly check of every practice, one transaction per practice."""
    domain: Domain = ctx["domain"]
    totals = {"practices": 0, "found": 0, "new": 0, "cleared": 0}
    async with domain.sessionmaker() as session:
        practice_ids = (await session.scalars(select(Practice.id))).all()
    for practice_id in practice_ids:
        async with domain.sessionmaker() as session, session.begin():
            run = await run_checks(session, practice_id, now=domain.clock.now(), patients=domain.patients)
        totals["practices"] += 1
        totals["found"] += run.found
        totals["new"] += run.new
        totals["cleared"] += run.cleared
    return totals


@dataclass(frozen=True, slots=True)
class Resolution:
    """A manager's answer to a finding: `action` is link, merge or dismiss."""

    action: str
    reason: str = ""
    appointment_id: uuid.UUID | None = None
    keep_lead_id: uuid.UUID | None = None


async def resolve_finding(
    domain: Domain, viewer: Viewer, finding_id: uuid.UUID, answer: Resolution, *, actor: audit.Actor
) -> ReconciliationFinding:
    """Apply the answer in one transaction with its audit rows; a bad answer changes nothing."""
    require(viewer, "funnel.reconcile")
    async with domain.sessionmaker() as session, session.begin():
        finding = await session.scalar(
            select(ReconciliationFinding)
            .where(
                ReconciliationFinding.id == finding_id,
                ReconciliationFinding.practice_id == viewer.practice_id,
            )
            .with_for_update()
        )
        if finding is None:
            raise ActionRefused("That finding is not one of your practice's.")
        if finding.status != "open":
            raise ActionRefused("That finding is already resolved.")
        if answer.action not in RESOLUTIONS.get(finding.rule, ()):
            raise InvalidFields({"action": "Choose one of the ways this finding can be resolved."})
        leads = await _leads_of(session, viewer, finding)
        if answer.action == "dismiss":
            _dismiss(finding, answer.reason)
        elif answer.action == "link":
            await _link(session, finding, leads, answer.appointment_id)
        else:
            await _merge(session, finding, leads, answer.keep_lead_id, now=domain.clock.now())
        finding.status = "dismissed" if answer.action == "dismiss" else "resolved"
        finding.resolution = answer.action
        finding.resolved_by_user_id = viewer.user_id
        finding.resolved_at = domain.clock.now()
        for lead in leads:
            audit.record(
                session,
                actor=actor,
                action="reconciliation.resolve",
                practice_id=finding.practice_id,
                lead_id=lead.id,
                details={"finding": str(finding.id), "rule": finding.rule, "resolution": answer.action},
            )
    return finding


async def _leads_of(session: AsyncSession, viewer: Viewer, finding: ReconciliationFinding) -> list[Lead]:
    ids = [uuid.UUID(i) for i in finding.lead_ids]
    leads = (await session.scalars(select(Lead).where(Lead.id.in_(ids), viewer.work_filter()))).all()
    if len(leads) != len(ids):
        raise ActionRefused("Some leads of this finding are outside your offices; ask a practice admin.")
    return sorted(leads, key=lambda lead: ids.index(lead.id))


def _dismiss(finding: ReconciliationFinding, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise InvalidFields({"reason": "Say why this is not a problem (for the audit log)."})
    if len(reason) > REASON_MAX:
        raise InvalidFields({"reason": f"Keep the reason under {REASON_MAX} characters."})
    finding.reason = reason


async def _link(
    session: AsyncSession, finding: ReconciliationFinding, leads: list[Lead], appointment_id: uuid.UUID | None
) -> None:
    """Attach an appointment the practice has (often one synced from the PMS without a lead)."""
    if len(leads) != 1:
        raise InvalidFields({"appointment": "Linking is for findings about one lead."})
    appointment = None
    if appointment_id is not None:
        appointment = await session.scalar(
            select(Appointment)
            .where(Appointment.id == appointment_id, Appointment.practice_id == finding.practice_id)
            .with_for_update()
        )
    if appointment is None:
        raise InvalidFields({"appointment": "Choose one of the practice's appointments."})
    if appointment.lead_id not in (None, leads[0].id):
        raise InvalidFields({"appointment": "That appointment belongs to another lead."})
    appointment.lead_id = leads[0].id


async def _merge(
    session: AsyncSession,
    finding: ReconciliationFinding,
    leads: list[Lead],
    keep_lead_id: uuid.UUID | None,
    *,
    now: datetime,
) -> None:
    """Keep one lead; the others close as duplicates of it, their appointments move to it."""
    kept = next((lead for lead in leads if lead.id == keep_lead_id), None)
    if kept is None:
        raise InvalidFields({"keep": "Choose which lead to keep."})
    for lead in leads:
        if lead is kept:
            continue
        if lead.status == "open":
            lead.status, lead.close_reason, lead.closed_at = "closed", "duplicate", now
        for appointment in await session.scalars(select(Appointment).where(Appointment.lead_id == lead.id)):
            appointment.lead_id = kept.id
