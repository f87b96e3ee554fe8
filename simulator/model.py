"""The known generative outcome model: which inquiries become patients, and what they are worth.

A logistic model on the lead's true attributes (the scorer only sees them through the payload: the
message text, UTM tags, ZIP, timestamps). Log-odds are the sum of:

- an intercept (`INTERCEPT`), the channel (`CHANNEL_EFFECT`), the treatment asked about
  (`INTEREST_EFFECT`), the campaign's and ad creative's quality, the keyword match type;
- what the message says: urgency, insurance, "no insurance", a named provider, price shopping;
- engagement: log pages visited, log minutes on site, a penalty for forms filled in under 15 s;
- distance to the nearest office (log-shaped penalty), device, age x treatment, last dental visit;
- time: weekend and evening effects, with the interaction *evening AND insurance mentioned* (people
  who research coverage after work are ready to book);
- seasonality: a January bump for insurance mentions (benefits reset), a June-August dip for
  general dentistry and cleanings, and an August-September back-to-school bump for orthodontics.

Journeys (`simulator.synthetic_journeys`) reuse `CHANNEL_EFFECT`, `INTEREST_EFFECT` and `TREATMENT_VALUE`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

INTERCEPT = -1.05
"""Log-odds of a baseline inquiry (web form, general interest, no signals): about a 26% show rate."""

CHANNEL_EFFECT = {
    "google_ads": 0.15,
    "facebook_ads": -0.55,
    "organic_search": 0.35,
    "social": -0.6,
    "email": 0.25,
    "direct_mail": -0.25,
    "referral_site": 0.1,
    "physician_referral": 1.1,
    "phone": 0.6,
    "walk_in": 1.3,
    "chat": -0.1,
    "direct": 0.3,
    "patient_referral": 0.9,
}
"""Intent by channel: searches and referrals beat social and interruption media (industry pattern)."""

CALL_EFFECT = 0.55
"""A caller is further along than a form filler: calls convert markedly better."""

INTEREST_EFFECT = {
    "general": 0.0,
    "cleaning": 0.25,
    "implants": 0.1,
    "orthodontics": 0.2,
    "invisalign": -0.05,
    "cosmetic": -0.3,
    "emergency": 0.85,
    "pediatric": 0.35,
    "other": -0.45,
}
"""Treatment intent: emergencies book now, cosmetic shoppers compare offices."""

TREATMENT_VALUE = {
    "general": 650.0,
    "cleaning": 280.0,
    "implants": 4200.0,
    "orthodontics": 5600.0,
    "invisalign": 4900.0,
    "cosmetic": 1600.0,
    "emergency": 750.0,
    "pediatric": 420.0,
    "other": 500.0,
}
"""Median first-year treatment value in dollars by interest (lognormal around it, sigma 0.35)."""

VALUE_SIGMA = 0.35
"""Spread of treatment values around the median (lognormal sigma)."""

MESSAGE_EFFECT = {
    "urgent": 0.7,
    "insurance": 0.35,
    "no_insurance": -0.45,
    "provider": 0.6,
    "price_shopping": -0.75,
}
"""What the free-text message reveals (the scorer must read it from the words)."""

CREATIVE_EFFECT = {"testimonial": 0.25, "before_after": 0.1, "offer": -0.35, "video": 0.0}
"""Ad creatives: testimonials attract trusting patients, price offers attract bargain hunters."""

MATCH_TYPE_EFFECT = {"exact": 0.3, "phrase": 0.1, "broad": -0.25}
"""Exact-match keywords are branded or specific searches; broad match pays for curiosity."""

LAST_VISIT_EFFECT = {
    "under_6_months": 0.15,
    "6_12_months": 0.1,
    "1_2_years": 0.0,
    "over_2_years": -0.2,
    "never": -0.35,
    "unknown": 0.0,
}
"""Patients in a care habit show up; people long away from a dentist often do not."""

DEVICE_EFFECT = {"desktop": 0.1, "mobile": -0.1, "tablet": 0.0}
"""Desktop forms are filled in more deliberately."""

EVENING_EFFECT = -0.15
"""Inquiries after 18:00 local are slightly more casual..."""

EVENING_INSURANCE_EFFECT = 0.55
"""...unless they ask about insurance: after-work coverage research precedes booking."""

WEEKEND_EFFECT = -0.2
"""Weekend inquiries wait until Monday and cool off."""

FAST_FORM_EFFECT = -0.6
"""Forms completed in under 15 seconds are mostly autofill or low-effort submissions."""

JANUARY_INSURANCE_EFFECT = 0.45
"""Dental benefits reset in January: insured people use their new allowance."""

SUMMER_GENERAL_EFFECT = -0.35
"""June to August: vacations postpone general dentistry and cleanings."""

BACK_TO_SCHOOL_ORTHO_EFFECT = 0.4
"""August and September: parents start braces before the school year."""

ORTHO_INTERESTS = frozenset({"orthodontics", "invisalign", "pediatric"})
GENERAL_INTERESTS = frozenset({"general", "cleaning"})


@dataclass(frozen=True, slots=True)
class LeadTruth:
    """The true attributes of one inquiry that drive its outcome."""

    channel: str
    is_call: bool
    interest: str
    campaign_effect: float
    creative_kind: str | None
    match_type: str | None
    urgent: bool
    insurance: bool
    no_insurance: bool
    provider_request: bool
    price_shopping: bool
    pages_visited: int | None
    time_on_site_seconds: int | None
    form_completion_seconds: int | None
    device: str | None
    distance_miles: float
    age_range: str
    last_visit: str
    local_hour: int
    local_weekday: int
    month: int


def true_logit(truth: LeadTruth) -> float:
    """Log-odds that this inquiry becomes a patient, under the known model."""
    logit = INTERCEPT + CHANNEL_EFFECT[truth.channel] + INTEREST_EFFECT[truth.interest]
    logit += CALL_EFFECT if truth.is_call else 0.0
    logit += truth.campaign_effect
    logit += CREATIVE_EFFECT.get(truth.creative_kind or "", 0.0)
    logit += MATCH_TYPE_EFFECT.get(truth.match_type or "", 0.0)
    logit += MESSAGE_EFFECT["urgent"] * truth.urgent + MESSAGE_EFFECT["insurance"] * truth.insurance
    logit += MESSAGE_EFFECT["no_insurance"] * truth.no_insurance
    logit += MESSAGE_EFFECT["provider"] * truth.provider_request
    logit += MESSAGE_EFFECT["price_shopping"] * truth.price_shopping
    if truth.pages_visited is not None:
        logit += 0.35 * math.log1p(truth.pages_visited) - 0.35
    if truth.time_on_site_seconds is not None:
        logit += 0.2 * math.log1p(truth.time_on_site_seconds / 60.0) - 0.2
    if truth.form_completion_seconds is not None and truth.form_completion_seconds < 15:
        logit += FAST_FORM_EFFECT
    logit += DEVICE_EFFECT.get(truth.device or "", 0.0)
    logit += -0.55 * math.log1p(truth.distance_miles / 4.0) + 0.3
    logit += LAST_VISIT_EFFECT[truth.last_visit]
    if truth.age_range == "under_18" and truth.interest in ORTHO_INTERESTS:
        logit += 0.3  # a parent booking for a child follows through
    if truth.age_range == "55_plus" and truth.interest == "implants":
        logit += 0.4  # implants are a considered, needed purchase at that age
    evening = truth.local_hour >= 18 or truth.local_hour < 6
    logit += EVENING_EFFECT * evening + EVENING_INSURANCE_EFFECT * (evening and truth.insurance)
    logit += WEEKEND_EFFECT * (truth.local_weekday >= 5)
    logit += seasonal_effect(truth.month, truth.interest, insurance=truth.insurance)
    return logit


def seasonal_effect(month: int, interest: str, *, insurance: bool) -> float:
    """The calendar's push or pull on conversion for this treatment."""
    effect = 0.0
    if month == 1 and insurance:
        effect += JANUARY_INSURANCE_EFFECT
    if month in (6, 7, 8) and interest in GENERAL_INTERESTS:
        effect += SUMMER_GENERAL_EFFECT
    if month in (8, 9) and interest in ORTHO_INTERESTS:
        effect += BACK_TO_SCHOOL_ORTHO_EFFECT
    return effect


def sigmoid(x: float) -> float:
    """Probability from log-odds."""
    return 1.0 / (1.0 + math.exp(-x))
