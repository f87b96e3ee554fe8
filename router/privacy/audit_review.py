"""Reviewing the audit log: filtered lists, one patient's access report, CSV, and the chain check.

A practice admin reviews every record of their practice; a manager the records about the leads of
their offices and those about no lead (settings, staff changes). Records of other practices never
appear. Every review is itself audited (`audit.reviewed`, `audit.access_report`, `audit.exported`,
`audit.verified`), so a reader of the log is in the log.

The chain check calls `router.privacy.audit_chain.verify_configured_chain`, the chain's public check,
and shows what it reports; how the chain is computed is that module's business.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import AuditRecord, Lead, Practice, StaffUser
from router.privacy import audit
from router.privacy.access import PRACTICE_ADMIN, Viewer, require
from router.privacy.audit_chain import verify_configured_chain
from router.privacy.audit_words import action_words

PAGE_SIZE = 100
EXPORT_LIMIT = 50_000
"""Rows in one CSV: a year of a busy practice's staff actions; narrow the filter for more."""
STALE_SECONDS = 300
"""Records the sealer has not chained after five minutes are reported (the CLI's default)."""


@dataclass
class AuditFilter:
    """What the review is narrowed to; every field optional."""

    user_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    action: str | None = None
    location_id: uuid.UUID | None = None
    since: date | None = None
    until: date | None = None
    before_id: int | None = None
    problems: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> AuditFilter:
        found = cls()

        def uid(name: str, words: str) -> uuid.UUID | None:
            value = str(query.get(name) or "").strip()
            try:
                return uuid.UUID(value) if value else None
            except ValueError:
                found.problems[name] = f"That is not {words}; paste it from the lead's address."
                return None

        def day(name: str) -> date | None:
            value = str(query.get(name) or "").strip()
            try:
                return date.fromisoformat(value) if value else None
            except ValueError:
                found.problems[name] = "Enter a date like 2026-03-04."
                return None

        found.user_id = uid("user", "a person")
        found.lead_id = uid("lead", "a lead's id")
        found.location_id = uid("location", "an office")
        found.action = str(query.get("action") or "").strip() or None
        found.since, found.until = day("since"), day("until")
        before = str(query.get("before") or "")
        found.before_id = int(before) if before.isdigit() else None
        return found

    def described(self) -> dict[str, str]:
        """The filter as the audit record of the review keeps it."""
        return {
            k: str(v)
            for k, v in {
                "user_id": self.user_id,
                "lead_id": self.lead_id,
                "action": self.action,
                "location_id": self.location_id,
                "since": self.since,
                "until": self.until,
            }.items()
            if v is not None
        }


def _scope(viewer: Viewer) -> ColumnElement[bool]:
    """The records this viewer may review."""
    require(viewer, "audit.review")
    if viewer.practice_id is None:
        return false()
    mine = AuditRecord.practice_id == viewer.practice_id
    if viewer.role == PRACTICE_ADMIN:
        return mine
    visible = select(Lead.id).where(viewer.work_filter())
    return and_(mine, or_(AuditRecord.lead_id.is_(None), AuditRecord.lead_id.in_(visible)))


def _conditions(viewer: Viewer, chosen: AuditFilter, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    where = [_scope(viewer)]
    if chosen.user_id is not None:
        who = str(chosen.user_id)
        where.append(
            or_(
                and_(AuditRecord.actor_type == "user", AuditRecord.actor_id == who),
                AuditRecord.details["user_ids"].contains([who]),
            )
        )
    if chosen.lead_id is not None:
        where.append(AuditRecord.lead_id == chosen.lead_id)
    if chosen.action:
        where.append(AuditRecord.action == chosen.action)
    if chosen.location_id is not None:
        at_office = select(Lead.id).where(Lead.location_id == chosen.location_id)
        where.append(
            or_(
                AuditRecord.lead_id.in_(at_office),
                AuditRecord.details["location_id"].astext == str(chosen.location_id),
            )
        )
    if chosen.since is not None:
        where.append(AuditRecord.occurred_at >= datetime.combine(chosen.since, time(0), tzinfo=zone))
    if chosen.until is not None:
        where.append(
            AuditRecord.occurred_at < datetime.combine(chosen.until + timedelta(days=1), time(0), tzinfo=zone)
        )
    if chosen.before_id is not None:
        where.append(AuditRecord.id < chosen.before_id)
    return where


@dataclass(frozen=True)
class AuditLine:
    """One record as the review shows it: who, what, which lead, when, from where."""

    id: int
    occurred_at: datetime
    who: str
    action: str
    what: str
    lead_id: uuid.UUID | None
    ip: str | None
    details: dict[str, Any]

    @property
    def break_glass(self) -> bool:
        return "break_glass" in self.details

    @property
    def via(self) -> str:
        return str(self.details.get("via", ""))


async def _names(session: AsyncSession, records: list[AuditRecord]) -> dict[str, str]:
    ids = {r.actor_id for r in records if r.actor_type == "user"}
    for r in records:
        ids.update(r.details.get("user_ids", []) if isinstance(r.details, dict) else [])
    valid = []
    for i in ids:
        try:
            valid.append(uuid.UUID(i))
        except ValueError:
            continue
    rows = (
        await session.execute(select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(valid)))
    ).all()
    return {str(i): name for i, name in rows}


def _who(record: AuditRecord, names: dict[str, str]) -> str:
    if record.actor_type == "user":
        return names.get(record.actor_id, "a former user")
    if record.actor_type == "integration":
        kind, _, name = record.actor_id.partition(":")
        return {"form": f"web form {name}", "twilio": "phone system"}.get(kind, record.actor_id)
    if record.actor_id == "board-push":
        shown = [names.get(u, "a former user") for u in record.details.get("user_ids", [])]
        return "live boards of " + (", ".join(shown) if shown else "nobody")
    return f"the system ({record.actor_id.replace('-', ' ')})"


async def _lines(session: AsyncSession, records: list[AuditRecord]) -> list[AuditLine]:
    names = await _names(session, records)
    return [
        AuditLine(
            r.id,
            r.occurred_at,
            _who(r, names),
            r.action,
            action_words(r.action),
            r.lead_id,
            r.ip,
            dict(r.details or {}),
        )
        for r in records
    ]


async def _zone(session: AsyncSession, viewer: Viewer) -> ZoneInfo:
    practice = await session.get(Practice, viewer.practice_id) if viewer.practice_id else None
    return ZoneInfo(practice.time_zone if practice else "UTC")


async def review(
    domain: Domain, viewer: Viewer, chosen: AuditFilter, *, actor: audit.Actor
) -> tuple[list[AuditLine], int | None]:
    """The newest matching records (a page), and the id to continue from when there are more."""
    async with domain.transaction() as session:
        zone = await _zone(session, viewer)
        records = list(
            (
                await session.scalars(
                    select(AuditRecord)
                    .where(*_conditions(viewer, chosen, zone))
                    .order_by(AuditRecord.id.desc())
                    .limit(PAGE_SIZE + 1)
                )
            ).all()
        )
        more = records[PAGE_SIZE].id + 1 if len(records) > PAGE_SIZE else None
        lines = await _lines(session, records[:PAGE_SIZE])
        audit.record(
            session,
            actor=actor,
            action="audit.reviewed",
            practice_id=viewer.practice_id,
            details={"filter": chosen.described(), "shown": len(lines)},
        )
    return lines, more


async def access_report(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor
) -> list[AuditLine]:
    """Everyone who viewed or changed one lead, oldest first (the HIPAA access report); empty when
    the lead is not in the viewer's scope."""
    async with domain.transaction() as session:
        records = list(
            (
                await session.scalars(
                    select(AuditRecord)
                    .where(
                        _scope(viewer),
                        AuditRecord.lead_id == lead_id,
                        AuditRecord.action != "audit.access_report",
                    )
                    .order_by(AuditRecord.occurred_at, AuditRecord.id)
                )
            ).all()
        )
        audit.record(
            session,
            actor=actor,
            action="audit.access_report",
            practice_id=viewer.practice_id,
            lead_id=lead_id,
            details={"records": len(records)},
        )
        return await _lines(session, records)


async def find_leads(domain: Domain, viewer: Viewer, *, phone: str, email: str) -> list[uuid.UUID]:
    """Leads in the viewer's scope with this phone or email (exact, through the blind indexes)."""
    require(viewer, "audit.review")
    phone_index = email_index = None
    if phone.strip():
        try:
            number = phonenumbers.parse(phone, "US")
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            phone_index = domain.blind_index.digest(e164, kind="phone")
        except phonenumbers.NumberParseException:
            return []
    if email.strip():
        email_index = domain.blind_index.digest(email.strip().lower(), kind="email")
    if phone_index is None and email_index is None:
        return []
    matches = []
    if phone_index is not None:
        matches.append(Lead.phone_index == phone_index)
    if email_index is not None:
        matches.append(Lead.email_index == email_index)
    async with domain.sessionmaker() as session:
        return list(
            (
                await session.scalars(
                    select(Lead.id)
                    .where(or_(*matches), viewer.work_filter())
                    .order_by(Lead.received_at.desc())
                )
            ).all()
        )


async def export_review(domain: Domain, viewer: Viewer, chosen: AuditFilter, *, actor: audit.Actor) -> str:
    """Every matching record (up to `EXPORT_LIMIT`) as CSV, oldest first, times in the practice's zone."""
    async with domain.transaction() as session:
        zone = await _zone(session, viewer)
        records = list(
            (
                await session.scalars(
                    select(AuditRecord)
                    .where(*_conditions(viewer, chosen, zone))
                    .order_by(AuditRecord.id.desc())
                    .limit(EXPORT_LIMIT)
                )
            ).all()
        )
        lines = await _lines(session, records[::-1])
        audit.record(
            session,
            actor=actor,
            action="audit.exported",
            practice_id=viewer.practice_id,
            details={"filter": chosen.described(), "rows": len(lines)},
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["record", "when", "who", "what", "action code", "lead id", "through", "address", "emergency access"]
    )
    for line in lines:
        when = line.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
        row = [
            line.id,
            when,
            line.who,
            line.what,
            line.action,
            line.lead_id or "",
            line.via,
            line.ip or "",
            "yes" if line.break_glass else "",
        ]
        writer.writerow(
            ["'" + c if isinstance(c, str) and c.startswith(("=", "+", "-", "@")) else c for c in row]
        )
    return out.getvalue()


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    sealed: int
    unsealed: int
    problems: list[str]
    checked_at: datetime


async def check_chain(domain: Domain, viewer: Viewer, *, actor: audit.Actor) -> ChainCheck:
    """Run the audit module's own verification and say what it found (and that it was run)."""
    require(viewer, "audit.review")
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        report = await verify_configured_chain(
            session, domain.settings.security, stale_before=now - timedelta(seconds=STALE_SECONDS)
        )
    check = ChainCheck(
        ok=bool(report.ok),
        sealed=int(getattr(report, "sealed", 0)),
        unsealed=int(getattr(report, "unsealed", 0)),
        problems=list(getattr(report, "problems", [])),
        checked_at=now,
    )
    async with domain.transaction() as session:
        audit.record(
            session,
            actor=actor,
            action="audit.verified",
            practice_id=viewer.practice_id,
            details={"ok": check.ok, "problems": len(check.problems)},
        )
    return check
