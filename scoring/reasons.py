"""Plain words for why a lead scored as it did: one sentence fragment per feature and value.

Every phrase is written for a receptionist: no feature names, codes, underscores or "nan". A test
checks every feature, with missing and present values, against those rules.
"""

from __future__ import annotations

import math

from scoring.channels import CHANNELS
from scoring.features import CREATIVE_KINDS, DEVICES, LAST_VISITS, MATCH_TYPES, TREATMENTS

_CHANNEL_WORDS = {
    "google_ads": "came from a Google ad",
    "facebook_ads": "came from a Facebook or Instagram ad",
    "organic_search": "found us through a web search",
    "social": "came from social media",
    "email": "came from one of our emails",
    "direct_mail": "came from a mailed postcard",
    "referral_site": "came from a review or listing site",
    "physician_referral": "was referred by a physician",
    "phone": "phoned the office",
    "walk_in": "walked in",
    "chat": "started in the website chat",
    "direct": "came to our website directly",
    "patient_referral": "was sent by another patient",
}
_TREATMENT_WORDS = {
    "general": "asked about a checkup",
    "cleaning": "asked about a cleaning",
    "implants": "asked about implants",
    "orthodontics": "asked about orthodontics",
    "invisalign": "asked about Invisalign",
    "cosmetic": "asked about cosmetic dentistry",
    "emergency": "has a dental emergency",
    "pediatric": "asked about care for a child",
    "other": "asked about something else",
}
_CREATIVE_WORDS = {
    "testimonial": "saw a patient-testimonial ad",
    "before_after": "saw a before-and-after ad",
    "offer": "saw a price-offer ad",
    "video": "saw a video ad",
    "other": "saw one of our ads",
}
_MATCH_WORDS = {
    "exact": "searched exactly for what we advertise",
    "phrase": "searched a phrase close to our ad",
    "broad": "searched a loosely related term",
}
_DEVICE_WORDS = {"mobile": "used a phone", "desktop": "used a computer", "tablet": "used a tablet"}
_VISIT_WORDS = {
    "under_6_months": "saw a dentist in the last 6 months",
    "6_12_months": "saw a dentist within a year",
    "1_2_years": "last saw a dentist 1 to 2 years ago",
    "over_2_years": "has not seen a dentist in over 2 years",
    "never": "has never seen a dentist",
}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_FLAGS = {
    "campaign_is_promo": ("answered a special offer", "not from a special offer"),
    "message_urgent": ("sounds urgent", "did not sound urgent"),
    "message_insurance": ("mentioned insurance", "did not mention insurance"),
    "message_no_insurance": ("has no insurance", "did not say they lack insurance"),
    "message_provider_request": ("asked for a specific dentist", "did not ask for a specific dentist"),
    "message_price_shopping": ("asked mainly about price", "did not ask about price"),
}
_MISSING = {
    "channel": "source unknown",
    "treatment_interest": "did not say which treatment",
    "campaign_is_promo": "no campaign",
    "ad_creative_kind": "did not come from an image or video ad",
    "keyword_match_type": "did not come from a search ad",
    "pages_visited": "website visit not tracked",
    "time_on_site_seconds": "time on website not tracked",
    "form_completion_seconds": "did not fill in a web form",
    "device_type": "device unknown",
    "age_years": "age unknown",
    "distance_miles": "distance to the office unknown",
    "hour_local": "time of day unknown",
    "weekday_local": "day unknown",
    "month": "date unknown",
    "last_dental_visit": "last dental visit unknown",
    "message_length": "left no message",
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _clock(hour: int) -> str:
    """24-hour to a receptionist's clock: 0 -> "midnight", 13 -> "1 pm"."""
    if hour == 0:
        return "midnight"
    if hour == 12:
        return "noon"
    return f"{hour} am" if hour < 12 else f"{hour - 12} pm"


def _vocab(vocabulary: tuple[str, ...], words: dict[str, str], value: float) -> str:
    return words[vocabulary[int(value)]]


def describe(feature: str, value: float) -> str:
    """The plain-words description of one feature's value for a lead."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _MISSING.get(feature, "information missing")
    if feature in _FLAGS:
        return _FLAGS[feature][0 if value >= 0.5 else 1]
    number = float(value)
    whole = round(number)
    match feature:
        case "channel":
            return _vocab(CHANNELS, _CHANNEL_WORDS, number)
        case "treatment_interest":
            return _vocab(TREATMENTS, _TREATMENT_WORDS, number)
        case "ad_creative_kind":
            return _vocab(CREATIVE_KINDS, _CREATIVE_WORDS, number)
        case "keyword_match_type":
            return _vocab(MATCH_TYPES, _MATCH_WORDS, number)
        case "device_type":
            return _vocab(DEVICES, _DEVICE_WORDS, number)
        case "last_dental_visit":
            return _vocab(LAST_VISITS, _VISIT_WORDS, number)
        case "pages_visited":
            return f"visited {_plural(whole, 'page')}"
        case "time_on_site_seconds":
            minutes = round(number / 60)
            return (
                "spent under a minute on the website"
                if minutes < 1
                else (f"spent {_plural(minutes, 'minute')} on the website")
            )
        case "form_completion_seconds":
            return f"filled in the form in {_plural(whole, 'second')}"
        case "age_years":
            return "is a child or teen" if number < 18 else f"is about {whole} years old"
        case "distance_miles":
            return (
                "less than a mile from the office"
                if number < 1
                else (f"{_plural(whole, 'mile')} from the office")
            )
        case "hour_local":
            return f"wrote or called around {_clock(int(number) % 24)}"
        case "weekday_local":
            return f"got in touch on a {_WEEKDAYS[int(number) % 7]}"
        case "month":
            return f"got in touch in {_MONTHS[(int(number) - 1) % 12]}"
        case "message_length":
            if number == 0:
                return "left no message"
            return "wrote a detailed message" if number >= 120 else "wrote a short message"
    return "other details"


HIDDEN_FROM_STAFF = frozenset({"message_length"})
"""Features that count in the score but are never a reason on a card: "wrote a short message" tells a
receptionist nothing to act on (its points still add up with the rest)."""


def _evening(hour: float) -> bool:
    return hour >= 18 or hour < 6


JOINT_REASONS = (
    (
        "hour_local",
        "message_insurance",
        lambda hour, insured: _evening(hour) and insured >= 0.5,
        "evening inquiry with insurance",
    ),
    (
        "message_urgent",
        "treatment_interest",
        lambda urgent, treatment: urgent >= 0.5 and int(treatment) == TREATMENTS.index("emergency"),
        "urgent dental emergency",
    ),
)
"""Pairs the models learn together, explained together: (feature, feature, when, words). Their points
are the sum of both features' contributions, so the reasons still add up to the score."""


def joint_reasons(values: dict[str, float]) -> list[tuple[str, str, str]]:
    """The (feature, feature, words) pairs that apply to a lead's feature values."""
    found = []
    for first, second, applies, words in JOINT_REASONS:
        a, b = values.get(first, math.nan), values.get(second, math.nan)
        if not (math.isnan(a) or math.isnan(b)) and applies(a, b):
            found.append((first, second, words))
    return found


def reason_text(description: str, points: float) -> str:
    """One reason with its score points, e.g. "asked about orthodontics (+12)"."""
    rounded = round(points)
    sign = "+" if rounded > 0 or (rounded == 0 and points >= 0) else "-"
    return f"{description} ({sign}{abs(rounded)})"
