"""First-party journey capture: anonymous page visits of a practice's website stored as touchpoints.

A visit (one browsing session, as the script counts it) is one touchpoint of kind `web_visit` with
no lead, the visitor's first-party id, the ad-click parameters it landed with and the channel the
shared classifier gives them; further pages of the same visit only raise its page count. Nothing
that could identify a person is stored: URLs keep only scheme, host and path, referrers only their
origin, and a visit whose path or ad parameters carry an email address or a phone number is refused.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import Touchpoint, TrackingSite
from router.intake.normalize import unsafe_text
from router.intake.urls import (
    AD_PARAMETERS,
    PersonalDataInUrl,
    carries_personal_data,
    clean_landing_page,
    clean_referrer,
    origin_of,
)
from scoring.channels import PATIENT_REFERRAL, classify_channel

VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
"""The script's ids are 22 URL-safe characters; anything else did not come from it."""
REFERRAL_CODE = re.compile(r"^[A-Za-z0-9]{4,16}$")
CLICK_ID = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
"""Google and Meta click ids are URL-safe tokens."""
MAX_TEXT = 200
"""Longest ad parameter kept (the touchpoint columns' width)."""


@dataclass(frozen=True)
class VisitProblem:
    """A field of a page visit we cannot accept, named for the 422 answer."""

    field: str
    message: str


class InvalidVisit(ValueError):
    """The page visit is malformed or carries personal data; nothing was stored."""

    def __init__(self, problems: list[VisitProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class PageVisit:
    """One page view as the script reports it, cleaned of everything but what attribution needs."""

    visitor_id: str
    visit_id: str
    landing_page: str
    referrer: str | None
    ad: dict[str, str]
    referral_code: str | None = None
    """An existing patient's referral-link code the visit landed with (`?lr_ref=`)."""


def clean_visit(body: Mapping[str, Any]) -> PageVisit:
    """Validate a posted page visit and strip it down; InvalidVisit names every bad field."""
    problems: list[VisitProblem] = []

    def text_field(name: str, *, required: bool = False, limit: int = 2000) -> str | None:
        value = body.get(name)
        if value is None or value == "":
            if required:
                problems.append(VisitProblem(name, "is required"))
            return None
        if not isinstance(value, str) or len(value) > limit:
            problems.append(VisitProblem(name, f"must be text of at most {limit} characters"))
            return None
        if problem := unsafe_text(value):
            problems.append(VisitProblem(name, problem))
            return None
        return value

    visitor_id = text_field("visitor_id", required=True, limit=64)
    visit_id = text_field("visit_id", required=True, limit=64)
    for name, value in (("visitor_id", visitor_id), ("visit_id", visit_id)):
        if value is not None and not VISITOR_ID.match(value):
            problems.append(VisitProblem(name, "must be 8-64 letters, digits, '-' or '_'"))
    url = text_field("url", required=True)
    landing_page = None
    query: dict[str, str] = {}
    if url is not None:
        try:
            cleaned = clean_landing_page(url)
        except PersonalDataInUrl as exc:
            problems.append(VisitProblem("url", str(exc)))
        else:
            if cleaned is None:
                problems.append(VisitProblem("url", "must be an http(s) URL"))
            else:
                landing_page, query = cleaned.url, cleaned.ad
    ad: dict[str, str] = {}
    for name in AD_PARAMETERS:
        value = text_field(name, limit=MAX_TEXT) or query.get(name)
        if not value:
            continue
        if name in ("gclid", "fbclid") and not CLICK_ID.match(value):
            problems.append(VisitProblem(name, "is not a click id"))
        elif carries_personal_data(value):
            problems.append(VisitProblem(name, "carries an email address or phone number"))
        else:
            ad[name] = value[:MAX_TEXT]
    referral_code = text_field("referral_code", limit=16)
    if referral_code is not None and not REFERRAL_CODE.match(referral_code):
        problems.append(VisitProblem("referral_code", "must be 4-16 letters and digits"))
    referrer_url = text_field("referrer")
    referrer = None
    if referrer_url:
        page = origin_of(url or "")
        referrer = clean_referrer(referrer_url, page_host=page[1] if page else None)
    if problems:
        raise InvalidVisit(problems)
    assert visitor_id and visit_id and landing_page
    return PageVisit(visitor_id, visit_id, landing_page, referrer, ad, referral_code)


async def record_page_visit(
    session: AsyncSession, site: TrackingSite, visit: PageVisit, *, now: datetime
) -> tuple[Touchpoint, bool]:
    """Store the visit's touchpoint, or count one more page on it; (touchpoint, whether it is new)."""
    # One visitor's pages arrive close together: serialise them so a visit is never stored twice.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:visitor, 0))"), {"visitor": visit.visitor_id}
    )
    existing = await session.scalar(
        select(Touchpoint).where(
            Touchpoint.practice_id == site.practice_id,
            Touchpoint.visitor_id == visit.visitor_id,
            Touchpoint.kind == "web_visit",
            Touchpoint.details["visit_id"].astext == visit.visit_id,
        )
    )
    if existing is not None:
        existing.pages_visited = (existing.pages_visited or 1) + 1
        existing.time_on_site_seconds = max(int((now - existing.occurred_at).total_seconds()), 0)
        return existing, False
    touchpoint = Touchpoint(
        id=uuid.uuid4(),
        practice_id=site.practice_id,
        lead_id=None,
        kind="web_visit",
        channel=PATIENT_REFERRAL
        if visit.referral_code
        else classify_channel(
            utm_source=visit.ad.get("utm_source"),
            utm_medium=visit.ad.get("utm_medium"),
            gclid=visit.ad.get("gclid"),
            fbclid=visit.ad.get("fbclid"),
            referrer=visit.referrer,
        ),
        occurred_at=now,
        visitor_id=visit.visitor_id,
        referrer=visit.referrer,
        landing_page=visit.landing_page,
        pages_visited=1,
        time_on_site_seconds=0,
        details={
            "visit_id": visit.visit_id,
            "site": site.key,
            **({"referral_code": visit.referral_code} if visit.referral_code else {}),
        },
        **visit.ad,
    )
    session.add(touchpoint)
    return touchpoint, True


async def load_tracking_site(session: AsyncSession, key: str) -> TrackingSite | None:
    """The site whose snippet carries this key."""
    return await session.scalar(select(TrackingSite).where(TrackingSite.key == key))


def normalized_origin(origin: str) -> str:
    """An origin as browsers send it in the Origin header; ValueError when it is not one."""
    found = origin_of(origin.strip().rstrip("/"))
    if found is None or urlsplit(origin.strip().rstrip("/")).path:
        raise ValueError(f"{origin!r} is not an origin like https://www.example-dental.com")
    return found[0].lower()


async def create_tracking_site(
    session: AsyncSession, practice_id: uuid.UUID, origins: list[str], *, key: str | None = None
) -> TrackingSite:
    """A new site key for the practice, accepting visits from the given origins."""
    site = TrackingSite(
        id=uuid.uuid4(),
        practice_id=practice_id,
        key=key or f"site_{secrets.token_urlsafe(12)}",
        origins=[normalized_origin(origin) for origin in origins],
    )
    session.add(site)
    await session.flush([site])
    return site
