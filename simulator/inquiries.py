"""`PracticeSimulator`: seeded inquiries (web forms and tracked calls) with their true outcomes.

Per location and day the number of inquiries is Poisson(`leads_per_day` x weekday x season). Each
inquiry picks a channel from the drifting mix (`simulator.marketing`), a campaign in season, a
treatment interest (the campaign's, or the practice's usual mix), a person (`simulator.people`),
a local hour (forms peak at lunch and in the evening, calls in office hours), engagement figures,
and the signals its message will say (`simulator.messages`). The outcome is drawn from the known
logistic model (`simulator.model`) plus an unobserved intent term (`LATENT_SIGMA`), so even a
perfect scorer cannot reach certainty; `true_probability` includes that term.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from simulator.marketing import Campaign, call_tags, campaigns_for, channel_mix, web_tags
from simulator.messages import write_message
from simulator.model import TREATMENT_VALUE, VALUE_SIGMA, LeadTruth, sigmoid, true_logit
from simulator.payloads import call_payload, form_payload, journey_before, pick_form_source
from simulator.people import PeopleFactory
from simulator.practices import LocationSpec, PracticeSpec, TrackingNumberSpec, demo_practices

LATENT_SIGMA = 0.6
"""Spread of the unobserved intent (log-odds): what no form field reveals."""

_MAX_UTC_OFFSET = timedelta(hours=14)
"""Largest UTC offset of any zone (Kiribati): bounds how early a local day can start in UTC."""

CALL_SHARE = 0.22
"""Share of inquiries that are phone calls to a tracking number."""

_INTEREST_MIX = {
    "general": {
        "general": 0.26,
        "cleaning": 0.2,
        "implants": 0.13,
        "cosmetic": 0.1,
        "emergency": 0.12,
        "pediatric": 0.07,
        "invisalign": 0.05,
        "orthodontics": 0.02,
        "other": 0.05,
    },
    "ortho": {"orthodontics": 0.5, "invisalign": 0.34, "pediatric": 0.05, "general": 0.04, "other": 0.07},
}
_WEEKDAY_VOLUME = (1.25, 1.1, 1.0, 1.0, 0.9, 0.6, 0.45)
"""Inquiry volume Monday..Sunday relative to a midweek day."""
_FORM_HOURS = (1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 6, 7, 7, 7, 9, 8, 6, 6, 6, 6, 7, 9, 10, 9, 6, 3)
_CALL_HOURS = (0, 0, 0, 0, 0, 0, 0, 2, 8, 10, 9, 8, 6, 7, 8, 8, 7, 4, 1, 1, 0, 0, 0, 0)
_LAST_VISIT = ("under_6_months", "6_12_months", "1_2_years", "over_2_years", "never", "unknown")
_LAST_VISIT_SHARES = (0.15, 0.2, 0.25, 0.25, 0.05, 0.1)
_DEVICES = ("mobile", "desktop", "tablet")


@dataclass(slots=True)
class SimulatedInquiry:
    """One inquiry as a form provider or call tracker would send it, plus what really happened."""

    received_at: datetime
    practice_slug: str
    location_slug: str
    form_source_key: str | None  # None for calls
    kind: str  # "form" or "call"
    payload: dict[str, Any]
    channel: str
    journey: list[tuple[str, datetime]]
    true_probability: float
    converted: bool
    value: float
    call_from: str | None = None
    tracking_number: str | None = None
    person_status: str = "new"  # "new", "repeat" (same person again) or "sibling" (parent, another child)
    tags: dict[str, Any] = field(default_factory=dict)


def practice_kind(practice: PracticeSpec) -> str:
    """ "ortho" when every provider is an orthodontist, else "general"."""
    return "ortho" if all(p.specialty == "orthodontics" for p in practice.providers) else "general"


def _season_volume(kind: str, month: int) -> float:
    """Inquiry volume by month: January benefits, summer dip for dentists, back-to-school for braces."""
    if month == 1:
        return 1.2
    if kind == "general" and month in (6, 7, 8):
        return 0.85
    if kind == "ortho" and month in (8, 9):
        return 1.25
    return 1.0


class PracticeSimulator:
    """Generates the inquiries of some practices, deterministically for a seed."""

    def __init__(self, seed: int, practices: list[PracticeSpec] | None = None) -> None:
        self.seed = seed
        self.practices = practices if practices is not None else demo_practices()
        self._live_rng = random.Random(f"{seed}-live")
        self._live_people = PeopleFactory(self._live_rng)

    def history(
        self, start: datetime, end: datetime, leads_per_day: float = 6.0
    ) -> Iterator[SimulatedInquiry]:
        """Inquiries received in [start, end), in time order; `leads_per_day` is per location."""
        rng = random.Random(f"{self.seed}-history")
        people = PeopleFactory(rng)
        pending: list[tuple[datetime, int, SimulatedInquiry]] = []  # heap: a local day spans two UTC days
        day, counter = start.date() - timedelta(days=1), 0
        while True:
            day_start = datetime.combine(day, datetime.min.time(), UTC)
            safe_before = day_start - _MAX_UTC_OFFSET  # nothing generated from `day` on is earlier than this
            while pending and pending[0][0] < safe_before:
                inquiry = heapq.heappop(pending)[2]
                if start <= inquiry.received_at < end:
                    yield inquiry
            if safe_before >= end:
                return
            for practice in self.practices:
                kind = practice_kind(practice)
                for location in practice.locations:
                    season = _season_volume(kind, day.month)
                    expected = leads_per_day * _WEEKDAY_VOLUME[day.weekday()] * season
                    for _ in range(_poisson(rng, expected)):
                        is_call = rng.random() < CALL_SHARE
                        local = self._local_time(rng, location, day, is_call=is_call)
                        inquiry = self._inquiry(rng, people, practice, location, local, is_call=is_call)
                        heapq.heappush(pending, (inquiry.received_at, counter, inquiry))
                        counter += 1
            day += timedelta(days=1)

    def next_inquiry(self, now: datetime) -> SimulatedInquiry:
        """One inquiry received at `now`, for the live demo (its own random stream)."""
        rng = self._live_rng
        practice = rng.choice(self.practices)
        location = rng.choice(practice.locations)
        local = now.astimezone(ZoneInfo(location.time_zone))
        is_call = rng.random() < CALL_SHARE
        return self._inquiry(rng, self._live_people, practice, location, local, is_call=is_call)

    @staticmethod
    def _local_time(rng: random.Random, location: LocationSpec, day: date, *, is_call: bool) -> datetime:
        hour = rng.choices(range(24), weights=_CALL_HOURS if is_call else _FORM_HOURS)[0]
        naive = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60))
        return naive.replace(tzinfo=ZoneInfo(location.time_zone))

    def _inquiry(
        self,
        rng: random.Random,
        people: PeopleFactory,
        practice: PracticeSpec,
        location: LocationSpec,
        local: datetime,
        *,
        is_call: bool,
    ) -> SimulatedInquiry:
        local = local.replace(microsecond=0)
        kind = practice_kind(practice)
        source = _source(rng, practice, location, local, kind=kind, is_call=is_call)
        number, channel, campaign, tags = source.number, source.channel, source.campaign, source.tags
        creative_kind, match_type = source.creative_kind, source.match_type
        interest = self._interest(rng, kind, campaign)
        person, status = people.person_for(location, on=local.date(), interest=interest)
        truth = self._truth(
            rng,
            local,
            channel=channel,
            campaign=campaign,
            is_call=is_call,
            interest=interest,
            distance=person.distance_miles,
            age_range=person.age_range,
            creative_kind=creative_kind,
            match_type=match_type,
        )
        probability, converted, value = _outcome(rng, truth, interest)
        message = self._message(rng, practice, location, interest, truth)
        received_at = local.astimezone(UTC) + timedelta(seconds=rng.randint(0, 3))
        form_source, payload = _payload(
            rng, practice, location, person, local, tags, truth, message, interest, campaign, is_call=is_call
        )
        return SimulatedInquiry(
            received_at=received_at,
            practice_slug=practice.slug,
            location_slug=location.slug,
            form_source_key=form_source,
            kind="call" if is_call else "form",
            payload=payload,
            channel=channel,
            journey=journey_before(rng, channel, received_at),
            true_probability=probability,
            converted=converted,
            value=round(value, 2),
            call_from=person.phone if is_call else None,
            tracking_number=number.phone_e164 if number else None,
            person_status=status,
            tags=tags,
        )

    def _message(
        self,
        rng: random.Random,
        practice: PracticeSpec,
        location: LocationSpec,
        interest: str,
        truth: LeadTruth,
    ) -> str:
        """What the person writes, naming a provider when they asked for one."""
        provider = self._provider_named(rng, practice, location) if truth.provider_request else None
        return write_message(
            rng,
            interest=interest,
            urgent=truth.urgent,
            insurance=truth.insurance,
            no_insurance=truth.no_insurance,
            provider=provider,
            price_shopping=truth.price_shopping,
        )

    @staticmethod
    def _interest(rng: random.Random, kind: str, campaign: Campaign | None) -> str:
        if campaign is not None and campaign.interest and rng.random() < 0.75:
            return campaign.interest
        mix = _INTEREST_MIX[kind]
        return rng.choices(list(mix), weights=list(mix.values()))[0]

    @staticmethod
    def _provider_named(rng: random.Random, practice: PracticeSpec, location: LocationSpec) -> str:
        here = [p.name for p in practice.providers if p.location_slug == location.slug]
        return rng.choice(here or [p.name for p in practice.providers])

    @staticmethod
    def _truth(
        rng: random.Random,
        local: datetime,
        *,
        channel: str,
        campaign: Campaign | None,
        is_call: bool,
        interest: str,
        distance: float,
        age_range: str,
        creative_kind: str | None,
        match_type: str | None,
    ) -> LeadTruth:
        urgent = rng.random() < (0.8 if interest == "emergency" else 0.1)
        insurance_roll = rng.random()
        shopping_odds = 0.22 if interest in ("cosmetic", "implants", "invisalign") else 0.1
        pages = None if is_call or rng.random() < 0.1 else min(1 + int(rng.expovariate(1 / 2.5)), 25)
        return LeadTruth(
            channel=channel,
            is_call=is_call,
            interest=interest,
            campaign_effect=campaign.effect if campaign else 0.0,
            creative_kind=creative_kind,
            match_type=match_type,
            urgent=urgent,
            insurance=insurance_roll < 0.35,
            no_insurance=0.35 <= insurance_roll < 0.47,
            provider_request=rng.random() < 0.08,
            price_shopping=rng.random() < shopping_odds,
            pages_visited=pages,
            time_on_site_seconds=None if pages is None else int(pages * rng.lognormvariate(_LOG_45, 0.6)),
            form_completion_seconds=None if is_call else _form_seconds(rng),
            device=None if is_call else rng.choices(_DEVICES, weights=(0.6, 0.32, 0.08))[0],
            distance_miles=distance,
            age_range=age_range,
            last_visit=rng.choices(_LAST_VISIT, weights=_LAST_VISIT_SHARES)[0],
            local_hour=local.hour,
            local_weekday=local.weekday(),
            month=local.month,
        )


_LOG_45 = math.log(45)
"""Median seconds per page viewed (lognormal)."""


def _form_seconds(rng: random.Random) -> int:
    """Form completion time: mostly a minute or two, sometimes autofilled in seconds."""
    return rng.randint(4, 14) if rng.random() < 0.08 else int(rng.lognormvariate(math.log(75), 0.5))


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


@dataclass(frozen=True)
class _Source:
    """Where a simulated inquiry came from: its channel, campaign and tracking tags."""

    channel: str
    campaign: Campaign | None
    tags: dict[str, Any]
    creative_kind: str | None
    match_type: str | None
    number: TrackingNumberSpec | None


def _source(
    rng: random.Random,
    practice: PracticeSpec,
    location: LocationSpec,
    local: datetime,
    *,
    kind: str,
    is_call: bool,
) -> _Source:
    """A call comes in on one of the location's tracking numbers; a web form by the day's channel mix."""
    if is_call:
        numbers = [t for t in practice.tracking_numbers if t.location_slug == location.slug]
        number = rng.choice(numbers or list(practice.tracking_numbers))
        channel = number.channel
        campaign = next((c for c in campaigns_for(channel, practice_kind=kind, month=local.month)), None)
        return _Source(channel, campaign, call_tags(channel, number.campaign), None, None, number)
    mix = channel_mix(local.date())
    channel = rng.choices(list(mix), weights=list(mix.values()))[0]
    running = campaigns_for(channel, practice_kind=kind, month=local.month)
    campaign = rng.choice(running) if running and rng.random() < 0.9 else None
    tags, creative_kind, match_type = web_tags(
        rng, channel=channel, campaign=campaign, practice_name=practice.name
    )
    return _Source(channel, campaign, tags, creative_kind, match_type, None)


def _outcome(rng: random.Random, truth: LeadTruth, interest: str) -> tuple[float, bool, float]:
    """The lead's true booking probability, whether it booked, and the treatment's value if it did."""
    probability = sigmoid(true_logit(truth) + rng.gauss(0.0, LATENT_SIGMA))
    converted = rng.random() < probability
    value = TREATMENT_VALUE[interest] * math.exp(rng.gauss(0.0, VALUE_SIGMA)) if converted else 0.0
    return probability, converted, value


def _payload(
    rng: random.Random,
    practice: PracticeSpec,
    location: LocationSpec,
    person: Any,
    local: datetime,
    tags: dict[str, Any],
    truth: LeadTruth,
    message: str,
    interest: str,
    campaign: Campaign | None,
    *,
    is_call: bool,
) -> tuple[str | None, dict[str, Any]]:
    """The form the inquiry came through (None for a call) and what it sends."""
    if is_call:
        return None, call_payload(
            rng, person=person, local=local, tags=tags, truth=truth, message=message, location=location
        )
    form_source = pick_form_source(rng, practice, location, interest=interest, campaign=campaign)
    return form_source, form_payload(
        rng,
        person=person,
        local=local,
        tags=tags,
        truth=truth,
        message=message,
        location=location,
        practice=practice,
        form_source=form_source,
    )
