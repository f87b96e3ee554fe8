"""The dashboard's patient names and its CSV exports: reads of PHI, so each is scoped and audited.

Breach rows name the lead for a viewer who may see it (the one visibility rule). The page refreshes
every 15 s; auditing every refresh would bury the log, so a name shown on the dashboard is audited
once per viewer, lead and hour (`READ_AUDIT_WINDOW`). An export is audited lead by lead, every time.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage
return: OWASP's list) are written with a leading apostrophe, so a patient who typed "=HYPERLINK(...)"
as their name shows as text.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.board.dashboard import DashboardScope, DateRange, breached, breaches_in, epoch, met_sla
from router.core.domain import Domain
from router.core.models import Lead, Location, StaffUser
from router.core.phi_columns import LEAD_FIRST_NAME, LEAD_LAST_NAME
from router.privacy import audit
from router.privacy.access import Viewer

READ_AUDIT_WINDOW = timedelta(hours=1)
"""A dashboard name is audited once per viewer, lead and hour: enough to answer "who saw this
patient, and when" to the hour, without a row per 15-second refresh."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A cell a spreadsheet shows as typed: text starting like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _name(domain: Domain, lead: Lead) -> str:
    unseal = domain.cipher.open
    parts = [
        unseal(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id),
        unseal(lead.last_name_enc, column=LEAD_LAST_NAME, row_id=lead.id),
    ]
    return " ".join(p for p in parts if p) or "(no name given)"


async def _audit_reads(
    session: AsyncSession,
    *,
    actor: audit.Actor,
    leads: Sequence[Lead],
    via: str,
    now: datetime,
    once_per_window: bool,
) -> None:
    if once_per_window:
        await audit.record_reads_once(
            session,
            actor=actor,
            leads=[(lead.id, lead.practice_id) for lead in leads],
            via=via,
            now=now,
            window=READ_AUDIT_WINDOW,
        )
        return
    for lead in leads:
        audit.record_read(session, actor=actor, practice_id=lead.practice_id, lead_id=lead.id, via=via)


async def breach_names(
    domain: Domain, viewer: Viewer, lead_ids: Iterable[uuid.UUID], *, actor: audit.Actor
) -> dict[uuid.UUID, str]:
    """The names of the breached leads this viewer may see (audited once an hour per lead)."""
    ids = list(lead_ids)
    if not ids:
        return {}
    async with domain.transaction() as session:
        leads = (await session.scalars(select(Lead).where(Lead.id.in_(ids), viewer.lead_filter()))).all()
        await _audit_reads(
            session, actor=actor, leads=leads, via="dashboard", now=domain.clock.now(), once_per_window=True
        )
        return {lead.id: _name(domain, lead) for lead in leads}


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else ""


def _csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return out.getvalue()


LEAD_COLUMNS = [
    "lead id",
    "name",
    "office",
    "source",
    "arrived",
    "contact deadline",
    "first contact",
    "seconds to contact (from arrival)",
    "seconds to contact (business time)",
    "met the SLA",
    "first contact by",
    "first contact through",
    "status",
]


async def export_csv(
    domain: Domain,
    viewer: Viewer,
    scope: DashboardScope,
    period: DateRange,
    *,
    kind: str,
    actor: audit.Actor,
) -> tuple[str, int]:
    """The breach list (`kind="breaches"`) or every lead's figures (`"leads"`) of the period as CSV,
    times in the practice's zone; returns the text and how many leads it names (each audited)."""
    now = domain.clock.now()
    zone = ZoneInfo(scope.time_zone)
    async with domain.transaction() as session:
        if kind == "breaches":
            ids = [row.lead_id for row in await breaches_in(session, scope, now, period)]
            where = [Lead.id.in_(ids)]
        else:
            where = [scope.lead_filter(), period.received_in(now)]
        rows = (
            await session.execute(
                select(
                    Lead,
                    Location.name,
                    StaffUser.display_name,
                    epoch(Lead.first_contact_at - Lead.received_at),
                    met_sla(),
                    breached(now),
                )
                .outerjoin(Location, Location.id == Lead.location_id)
                .outerjoin(StaffUser, StaffUser.id == Lead.first_contact_user_id)
                .where(*where, viewer.lead_filter())
                .order_by(Lead.received_at)
            )
        ).all()
        await _audit_reads(
            session,
            actor=actor,
            leads=[r[0] for r in rows],
            via=f"export:{kind}",
            now=now,
            once_per_window=False,
        )
        lines = [_lead_line(domain, zone, *row) for row in rows]
    return _csv(LEAD_COLUMNS, lines), len(lines)


def _lead_line(
    domain: Domain,
    zone: ZoneInfo,
    lead: Lead,
    office: str | None,
    by: str | None,
    wall: Any,
    met: bool | None,
    late: bool | None,
) -> list[Any]:
    """One lead's row of the export, in the columns of LEAD_COLUMNS."""
    if met:
        judged = "yes"
    elif late:
        judged = "no"
    elif lead.status == "closed":
        judged = "closed before its deadline"
    else:
        judged = "not due yet"
    return [
        str(lead.id),
        _name(domain, lead),
        office or "",
        lead.source_channel,
        _local(lead.received_at, zone),
        _local(lead.sla_due_at, zone),
        _local(lead.first_contact_at, zone),
        "" if wall is None else round(float(wall)),
        "" if lead.first_contact_business_seconds is None else lead.first_contact_business_seconds,
        judged,
        by or "",
        lead.first_contact_source or "",
        lead.status,
    ]
