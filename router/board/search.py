"""Finding a lead, open or closed, by name, phone or email, for the practice's own staff in their scope.

Phone and email are exact matches through the blind indexes (no decryption, any age). Names have no
blind index: a name is matched, whole and ignoring case, against the names of the most recent
`NAME_SCAN_LIMIT` leads of the viewer's scope within the dates and status asked for; the page says so
when that limit was reached. Every lead a result list shows is audited (via "search").
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import InvalidFields, NotPermitted
from router.core.models import Lead, Location, Practice
from router.core.phi_columns import LEAD_FIRST_NAME, LEAD_LAST_NAME
from router.intake.normalize import normalize_email, normalize_phone
from router.privacy import audit
from router.privacy.access import PRACTICE_STAFF_ROLES, Viewer

RESULTS_LIMIT = 50
"""Most leads one search lists: more means the search should be narrower."""
NAME_SCAN_LIMIT = 2000
"""Leads whose names a name search reads (newest first): a busy office's half year or more."""
STATUSES = {"any": "open or closed", "open": "open", "closed": "closed"}


@dataclass(frozen=True)
class LeadSearch:
    """What was asked, cleaned: a name, phone or email, or dates (every lead that arrived then)."""

    name: str = ""
    phone: str = ""
    """E.164."""
    email: str = ""
    since: date | None = None
    until: date | None = None
    status: str = "any"

    def described(self) -> str:
        """What was searched, in words, for the "no results" line."""
        parts = [f"name “{self.name}”" if self.name else "", f"phone {self.phone}" if self.phone else ""]
        parts += [f"email {self.email}" if self.email else ""]
        what = " and ".join(part for part in parts if part) or "any name"
        when = ""
        if self.since or self.until:
            when = f", arrived {self.since or 'any time'} to {self.until or 'today'}"
        return f"{what}{when}, {STATUSES[self.status]} leads"


@dataclass(frozen=True)
class FoundLead:
    id: uuid.UUID
    name: str
    location_name: str | None
    status: str
    close_reason: str | None
    received_at: datetime
    time_zone: str


@dataclass(frozen=True)
class SearchResults:
    leads: list[FoundLead]
    more: bool
    """More leads matched than the list shows."""
    names_partly_searched: bool
    """A name search reached NAME_SCAN_LIMIT: older leads' names were not read."""


def _date(raw: str, field: str, problems: dict[str, str]) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        problems[field] = "Enter a date like 2026-12-04."
        return None


def parse_search(values: Mapping[str, str], *, region: str = "US") -> LeadSearch | None:
    """The search the form asks for (None when nothing was asked); InvalidFields names what is wrong."""
    problems: dict[str, str] = {}
    name = " ".join((values.get("name") or "").split())
    phone, email = (values.get("phone") or "").strip(), (values.get("email") or "").strip()
    if phone:
        try:
            phone = normalize_phone(phone, region)
        except ValueError:
            problems["phone"] = "That is not a phone number we can search for; enter it like (512) 555-0101."
    if email:
        try:
            email = normalize_email(email)
        except ValueError:
            problems["email"] = "That is not an email address; enter it like name@example.com."
    since, until = (
        _date(values.get("since") or "", "since", problems),
        _date(values.get("until") or "", "until", problems),
    )
    if since and until and since > until:
        problems["until"] = "The end date is before the start date."
    status = values.get("status") or "any"
    if status not in STATUSES:
        problems["status"] = "Choose open, closed or either."
    if problems:
        raise InvalidFields(problems)
    if not (name or phone or email or since or until):
        return None
    return LeadSearch(name=name, phone=phone, email=email, since=since, until=until, status=status)


async def search_leads(
    domain: Domain, viewer: Viewer, search: LeadSearch, *, actor: audit.Actor
) -> SearchResults:
    """The leads in the viewer's own scope that match, newest first; each one listed is audited."""
    if viewer.role not in PRACTICE_STAFF_ROLES or viewer.practice_id is None:
        raise NotPermitted("Search is for the practice's own staff.")
    async with domain.sessionmaker() as session, session.begin():
        zone = await session.scalar(select(Practice.time_zone).where(Practice.id == viewer.practice_id))
        query = _scoped(domain, viewer, search, ZoneInfo(zone or "UTC"))
        if search.name:
            found, partly = await _by_name(session, domain, query, search.name)
        else:
            rows = (await session.execute(query.limit(RESULTS_LIMIT + 1))).all()
            found, partly = [_found(domain, row) for row in rows], False
        shown = found[:RESULTS_LIMIT]
        for lead in shown:  # a search is deliberate: every listing is its own record
            audit.record_read(
                session, actor=actor, practice_id=viewer.practice_id, lead_id=lead.id, via="search"
            )
    return SearchResults(leads=shown, more=len(found) > RESULTS_LIMIT, names_partly_searched=partly)


def _scoped(domain: Domain, viewer: Viewer, search: LeadSearch, zone: ZoneInfo):  # type: ignore[no-untyped-def]
    query = (
        select(
            Lead.id,
            Lead.first_name_enc,
            Lead.last_name_enc,
            Lead.status,
            Lead.close_reason,
            Lead.received_at,
            Location.name.label("location_name"),
            Location.time_zone,
        )
        .outerjoin(Location, Location.id == Lead.location_id)
        .where(viewer.work_filter())
        .order_by(Lead.received_at.desc(), Lead.id)
    )
    if search.phone:
        query = query.where(Lead.phone_index == domain.blind_index.digest(search.phone, kind="phone"))
    if search.email:
        query = query.where(Lead.email_index == domain.blind_index.digest(search.email, kind="email"))
    if search.since:
        query = query.where(Lead.received_at >= datetime.combine(search.since, time(0), zone))
    if search.until:
        query = query.where(
            Lead.received_at < datetime.combine(search.until + timedelta(days=1), time(0), zone)
        )
    if search.status == "open":
        query = query.where(Lead.status == "open")
    elif search.status == "closed":
        query = query.where(Lead.status != "open")
    return query


def _names(domain: Domain, row) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    first = domain.cipher.open(row.first_name_enc, column=LEAD_FIRST_NAME, row_id=row.id) or ""
    last = domain.cipher.open(row.last_name_enc, column=LEAD_LAST_NAME, row_id=row.id) or ""
    return first, last


def _found(domain: Domain, row, names: tuple[str, str] | None = None) -> FoundLead:  # type: ignore[no-untyped-def]
    first, last = names or _names(domain, row)
    return FoundLead(
        id=row.id,
        name=f"{first} {last}".strip() or "(no name given)",
        location_name=row.location_name,
        status=row.status,
        close_reason=row.close_reason,
        received_at=row.received_at,
        time_zone=row.time_zone or "UTC",
    )


async def _by_name(
    session: AsyncSession,
    domain: Domain,
    query,  # type: ignore[no-untyped-def]
    name: str,
) -> tuple[list[FoundLead], bool]:
    """Leads whose first, last or whole name is `name` (ignoring case), among the newest in scope."""
    wanted = name.casefold()
    rows = (await session.execute(query.limit(NAME_SCAN_LIMIT))).all()
    found = []
    for row in rows:
        first, last = _names(domain, row)
        if wanted in (first.casefold(), last.casefold(), f"{first} {last}".strip().casefold()):
            found.append(_found(domain, row, (first, last)))
            if len(found) > RESULTS_LIMIT:
                break
    return found, len(rows) == NAME_SCAN_LIMIT
