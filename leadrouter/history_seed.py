"""Simulated marketing history for a demo practice: past leads, their journeys, outcomes and ad spend.

Written straight to the tables in bulk (not through the webhook: months of history in seconds), all
past leads closed so boards and SLA sweepers never see them. Journeys come from the practice
simulator: a web form's earlier touches are stored as anonymous web visits under the form's visitor
id (so the attribution run stitches them as it would live ones); a call's earlier touches sit on its
lead. Physician referrals and visitors who never inquired are added around them, and daily spend
for the paid campaigns. Idempotent: a practice that already has seeded history is left alone (the
spend upsert and the tracking site are safe to repeat).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import FunnelEvent, Lead, Location, PatientValue, Practice, Touchpoint, TrackingSite
from router.core.phi_columns import LEAD_FIRST_NAME, LEAD_LAST_NAME
from router.marketing.spend import SpendRow, store_spend
from router.marketing.tracking import create_tracking_site
from simulator.inquiries import PracticeSimulator, SimulatedInquiry, practice_kind
from simulator.marketing import campaigns_for
from simulator.model import TREATMENT_VALUE
from simulator.practices import PracticeSpec, demo_practices

SEED_MARK = {"seeded": "history"}
"""Stored in every seeded touchpoint's details: how a re-run knows the history is already there."""
LEADS_PER_DAY = 3.0
"""Inquiries per location and day: a busy small practice, and 6 months seed in a couple of seconds."""
REFERRAL_SHARE = 0.07
"""Physician referrals per inquiry: a small but valuable stream for a general or ortho practice."""
REFERRAL_BOOKING = 0.55
"""Referred patients book far more often than ad clicks: their dentist already told them to."""
REFERRAL_VALUE_FACTOR = 1.6
"""Referred cases are larger (a physician refers the implant or the braces, not the cleaning)."""
ANONYMOUS_PER_LEAD = 2.0
"""Visitors who browse and never inquire, per lead: most of a site's traffic never converts."""
TREATMENT_ACCEPTED_SHARE = 0.7
"""Of booked patients, those who accept a treatment plan (their value becomes known)."""
DAILY_SPEND = {"google_ads": (35.0, 70.0), "facebook_ads": (20.0, 45.0), "direct_mail": (10.0, 25.0)}
"""Dollars a day per running campaign, drawn uniformly: a typical small practice's ad budget."""
CLICK_COST = {"google_ads": 6.5, "facebook_ads": 1.4, "direct_mail": 9.0}
"""Average cost per click (or per QR scan for mail) that turns spend into clicks."""
CLICK_RATE = {"google_ads": 0.045, "facebook_ads": 0.011, "direct_mail": 0.004}
"""Clicks per impression (per piece mailed for direct mail)."""


@dataclass
class HistorySummary:
    """What a seeding did."""

    practice: str
    created: bool
    leads: int = 0
    touchpoints: int = 0
    spend_rows: int = 0
    site_key: str | None = None


def demo_site_origin(spec: PracticeSpec) -> str:
    """The simulated practice website (the simulator's landing pages live there)."""
    return f"https://www.{spec.slug.replace('-', '')}.example.com"


class _Writer:
    """Rows of one seeding, collected for bulk inserts."""

    def __init__(self, domain: Domain, practice_id: uuid.UUID, now: datetime, rng: random.Random) -> None:
        self.domain, self.practice_id, self.now, self.rng = domain, practice_id, now, rng
        self.leads: list[dict[str, Any]] = []
        self.touchpoints: list[dict[str, Any]] = []
        self.funnel: list[dict[str, Any]] = []
        self.values: list[dict[str, Any]] = []

    def touch(
        self, *, kind: str, channel: str, at: datetime, lead_id: uuid.UUID | None, **extra: Any
    ) -> None:
        self.touchpoints.append(
            {
                "id": uuid.uuid4(),
                "practice_id": self.practice_id,
                "lead_id": lead_id,
                "kind": kind,
                "channel": channel,
                "occurred_at": at,
                "details": dict(SEED_MARK),
                **{name: extra.get(name) for name in _TOUCH_FIELDS},
            }
        )

    def lead(
        self,
        *,
        location_id: uuid.UUID,
        kind: str,
        channel: str,
        at: datetime,
        names: tuple,
        converted: bool,
        value: float,
        touches: int,
    ) -> uuid.UUID:
        lead_id, rng, cipher = uuid.uuid4(), self.rng, self.domain.cipher
        contacted = at + timedelta(minutes=rng.uniform(1, 25))
        booked = at + timedelta(days=rng.uniform(1, 8))
        booked_in_past = converted and booked < self.now
        self.leads.append(
            {
                "id": lead_id,
                "practice_id": self.practice_id,
                "location_id": location_id,
                "first_name_enc": cipher.seal(names[0], column=LEAD_FIRST_NAME, row_id=lead_id),
                "last_name_enc": cipher.seal(names[1], column=LEAD_LAST_NAME, row_id=lead_id),
                "source_kind": kind,
                "source_channel": channel,
                "status": "closed",
                "stage": "appointment_scheduled" if booked_in_past else "contacted",
                "close_reason": "appointment_booked" if booked_in_past else "not_interested",
                "score_reasons": [],
                "received_at": at,
                "sla_started_at": at,
                "sla_due_at": at + timedelta(minutes=5),
                "first_contact_at": contacted,
                "first_contact_source": "board",
                "closed_at": booked if booked_in_past else contacted + timedelta(days=3),
                "last_activity_at": contacted,
                "touch_count": touches,
                "escalation_level": 0,
                "overflow": False,
                "score_pooled": False,
            }
        )
        self.stage(lead_id, "lead", at)
        self.stage(lead_id, "contacted", contacted)
        if booked_in_past:
            self.stage(lead_id, "appointment_scheduled", booked)
            accepted = booked + timedelta(days=rng.uniform(2, 20))
            if rng.random() < TREATMENT_ACCEPTED_SHARE and accepted < self.now:
                self.stage(lead_id, "treatment_accepted", accepted)
                self.values.append(
                    {
                        "lead_id": lead_id,
                        "practice_id": self.practice_id,
                        "value": round(value, 2),
                        "source": "simulator",
                        "recorded_at": accepted,
                    }
                )
        return lead_id

    def stage(self, lead_id: uuid.UUID, stage: str, at: datetime) -> None:
        self.funnel.append(
            {
                "practice_id": self.practice_id,
                "lead_id": lead_id,
                "stage": stage,
                "occurred_at": at,
                "actor": "seed",
            }
        )

    async def flush(self, session: AsyncSession) -> None:
        for model, rows in (
            (Lead, self.leads),
            (Touchpoint, self.touchpoints),
            (FunnelEvent, self.funnel),
            (PatientValue, self.values),
        ):
            if rows:
                await session.execute(insert(model), rows)


_TOUCH_FIELDS = ("visitor_id", "utm_source", "utm_medium", "utm_campaign", "gclid", "fbclid", "referrer")


def _inquiry(writer: _Writer, inquiry: SimulatedInquiry, location_id: uuid.UUID) -> None:
    """One simulated inquiry: its lead, the inquiry touchpoint, and the touches before it."""
    payload, tags = inquiry.payload, inquiry.tags
    names = (payload.get("first_name"), payload.get("last_name"))
    lead_id = writer.lead(
        location_id=location_id,
        kind=inquiry.kind,
        channel=inquiry.channel,
        at=inquiry.received_at,
        names=names,
        converted=inquiry.converted,
        value=inquiry.value,
        touches=1,
    )
    visitor = payload.get("visitor_id") if inquiry.kind == "form" else None
    for channel, at in inquiry.journey[:-1]:
        # A form's earlier visits are anonymous until stitched by visitor id; a call's sit on its lead.
        writer.touch(
            kind="web_visit", channel=channel, at=at, lead_id=None if visitor else lead_id, visitor_id=visitor
        )
    writer.touch(
        kind=inquiry.kind,
        channel=inquiry.channel,
        at=inquiry.received_at,
        lead_id=lead_id,
        visitor_id=visitor,
        **{k: v for k, v in tags.items() if k in _TOUCH_FIELDS},
    )


def _referral(writer: _Writer, inquiry: SimulatedInquiry, location_id: uuid.UUID, kind: str) -> None:
    """A physician's referral near this inquiry's time: sometimes followed by the patient's own call."""
    rng = writer.rng
    at = inquiry.received_at + timedelta(hours=rng.uniform(1, 48))
    if at >= writer.now:
        return
    interests = (
        ("implants", "orthodontics", "invisalign") if kind == "ortho" else ("implants", "general", "cosmetic")
    )
    value = TREATMENT_VALUE[rng.choice(interests)] * REFERRAL_VALUE_FACTOR * rng.lognormvariate(0, 0.3)
    follow_up = rng.random() < 0.4
    lead_id = writer.lead(
        location_id=location_id,
        kind="referral",
        channel="physician_referral",
        at=at,
        names=("Referred", "Patient"),
        converted=rng.random() < REFERRAL_BOOKING,
        value=value,
        touches=1 + follow_up,
    )
    writer.touch(kind="referral", channel="physician_referral", at=at, lead_id=lead_id)
    if follow_up:
        writer.touch(
            kind="call",
            channel=rng.choice(("organic_search", "direct")),
            at=at + timedelta(minutes=30),
            lead_id=lead_id,
        )


def _anonymous_visitors(writer: _Writer, inquiry: SimulatedInquiry) -> None:
    """Visitors around this inquiry who browsed and never inquired (journeys that did not convert)."""
    rng = writer.rng
    count = int(ANONYMOUS_PER_LEAD) + (rng.random() < ANONYMOUS_PER_LEAD % 1)
    for _ in range(count):
        visitor = uuid.UUID(int=rng.getrandbits(128), version=4).hex[:22]
        at = inquiry.received_at - timedelta(hours=rng.uniform(0, 72))
        for channel, _at in inquiry.journey[: rng.randint(1, len(inquiry.journey))]:
            writer.touch(kind="web_visit", channel=channel, at=at, lead_id=None, visitor_id=visitor)
            at += timedelta(hours=rng.uniform(1, 96))
            if at >= writer.now:
                break


def _spend_rows(spec: PracticeSpec, start: date, end: date, rng: random.Random) -> list[SpendRow]:
    """Daily spend, impressions and clicks of the practice's paid campaigns that ran on each day."""
    rows = []
    day = start
    while day < end:
        for channel, (low, high) in DAILY_SPEND.items():
            for campaign in campaigns_for(channel, practice_kind=practice_kind(spec), month=day.month):
                spend = round(rng.uniform(low, high), 2)
                clicks = max(int(spend / CLICK_COST[channel] * rng.uniform(0.8, 1.2)), 0)
                impressions = int(clicks / CLICK_RATE[channel])
                rows.append(SpendRow(day, channel, campaign.name, spend, impressions, clicks))
        day += timedelta(days=1)
    return rows


async def _has_history(session: AsyncSession, practice_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Touchpoint.id)
        .where(Touchpoint.practice_id == practice_id, Touchpoint.details.contains(SEED_MARK))
        .limit(1)
    )
    return found is not None


async def _ensure_site(session: AsyncSession, practice_id: uuid.UUID, spec: PracticeSpec) -> str:
    """The demo practice's tracking site (created once), so the snippet works against its website."""
    key = f"{spec.slug}-site"
    if await session.scalar(select(TrackingSite.id).where(TrackingSite.key == key)) is None:
        await create_tracking_site(session, practice_id, [demo_site_origin(spec)], key=key)
    return key


async def seed_history(
    domain: Domain, practice_slug: str, *, months: int = 6, seed: int = 2026, now: datetime | None = None
) -> HistorySummary:
    """Seed `months` of simulated history for a demo practice (nothing when it already has some)."""
    spec = next((p for p in demo_practices() if p.slug == practice_slug), None)
    if spec is None:
        raise LookupError(f"{practice_slug!r} is not a demo practice (seed-demo creates them)")
    now = (now or domain.clock.now()).astimezone(UTC)
    start = now - timedelta(days=30 * months)
    async with domain.transaction() as session:
        practice = await session.scalar(select(Practice).where(Practice.slug == practice_slug))
        if practice is None:
            raise LookupError(f"no practice {practice_slug!r}; run `leadrouter seed-demo` first")
        summary = HistorySummary(practice_slug, created=False)
        summary.site_key = await _ensure_site(session, practice.id, spec)
        summary.spend_rows = await store_spend(
            session,
            practice.id,
            _spend_rows(spec, start.date(), now.date(), random.Random(f"{seed}-spend")),
            now=now,
        )
        if await _has_history(session, practice.id):
            return summary
        locations = {
            loc.slug: loc.id
            for loc in (
                await session.scalars(select(Location).where(Location.practice_id == practice.id))
            ).all()
        }
        writer = _Writer(domain, practice.id, now, random.Random(f"{seed}-{practice_slug}-history"))
        kind = practice_kind(spec)
        for inquiry in PracticeSimulator(seed, [spec]).history(start, now, leads_per_day=LEADS_PER_DAY):
            location_id = locations[inquiry.location_slug]
            _inquiry(writer, inquiry, location_id)
            _anonymous_visitors(writer, inquiry)
            if writer.rng.random() < REFERRAL_SHARE:
                _referral(writer, inquiry, location_id, kind)
        await writer.flush(session)
        summary.created = True
        summary.leads, summary.touchpoints = len(writer.leads), len(writer.touchpoints)
    return summary


async def seed_demo_history(domain: Domain, *, months: int = 6) -> list[HistorySummary]:
    """History and a first attribution run for every demo practice (what `leadrouter run` shows)."""
    from router.marketing.attribution_runs import execute_run, request_run

    summaries = []
    for spec in demo_practices():
        summary = await seed_history(domain, spec.slug, months=months)
        summaries.append(summary)
        if summary.created:
            async with domain.transaction() as session:
                practice_id = await session.scalar(select(Practice.id).where(Practice.slug == spec.slug))
                assert practice_id is not None
                run, _ = await request_run(session, practice_id, requested_by="seed", now=domain.clock.now())
            await execute_run(domain, run.id)
    return summaries
