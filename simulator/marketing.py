"""The practices' marketing: a channel mix that drifts, seasonal campaigns, and the tags clicks carry.

The mix moves linearly from `MIX_START` (January 2025) to `MIX_END` (July 2026, held after):
paid social grows at the expense of search ads, as many practices' budgets did. Campaigns run in
season (spring postcards, new-year benefits, back-to-school braces) and each has a known quality
(a log-odds effect in the outcome model). Tags are generated so that
`scoring.channels.classify_channel` returns the true channel for every payload.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date

WEB_CHANNELS = (
    "google_ads",
    "facebook_ads",
    "organic_search",
    "social",
    "email",
    "direct_mail",
    "referral_site",
    "direct",
)
"""Channels a web form can be attributed to by its tags (the others arrive by phone, portal or door)."""

DRIFT_START, DRIFT_END = date(2025, 1, 1), date(2026, 7, 1)
"""The window over which the channel mix moves from start to end shares."""

MIX_START = {
    "google_ads": 0.32,
    "facebook_ads": 0.1,
    "organic_search": 0.2,
    "social": 0.07,
    "email": 0.06,
    "direct_mail": 0.07,
    "referral_site": 0.08,
    "direct": 0.1,
}
MIX_END = {
    "google_ads": 0.2,
    "facebook_ads": 0.26,
    "organic_search": 0.17,
    "social": 0.09,
    "email": 0.05,
    "direct_mail": 0.05,
    "referral_site": 0.08,
    "direct": 0.1,
}


@dataclass(frozen=True, slots=True)
class Campaign:
    """A marketing campaign: where it runs, when, what it promotes and how good its leads are."""

    name: str
    channel: str
    effect: float
    interest: str | None = None
    months: tuple[int, ...] = ()
    kind: str | None = None
    keyword: str = ""


CAMPAIGNS = (
    Campaign("brand-search", "google_ads", 0.45, keyword="{practice} dentist"),
    Campaign("implants-search", "google_ads", 0.1, "implants", kind="general", keyword="dental implants"),
    Campaign("emergency-dentist", "google_ads", 0.2, "emergency", kind="general", keyword="dentist open now"),
    Campaign("new-patient-special", "google_ads", -0.25, "cleaning", kind="general", keyword="dentist deals"),
    Campaign("invisalign-search", "google_ads", 0.0, "invisalign", kind="ortho", keyword="invisalign cost"),
    Campaign("braces-kids", "google_ads", 0.1, "orthodontics", kind="ortho", keyword="braces for kids"),
    Campaign("free-consult-offer", "google_ads", -0.2, None, kind="ortho", keyword="free ortho consult"),
    Campaign("whitening-promo", "facebook_ads", -0.2, "cosmetic", kind="general"),
    Campaign("new-year-benefits", "facebook_ads", 0.25, None, months=(1, 2), kind="general"),
    Campaign("smile-makeover", "facebook_ads", -0.05, "cosmetic"),
    Campaign("adult-invisalign", "facebook_ads", 0.0, "invisalign", kind="ortho"),
    Campaign("back-to-school-braces", "facebook_ads", 0.2, "orthodontics", months=(7, 8, 9), kind="ortho"),
    Campaign("monthly-newsletter", "email", 0.1),
    Campaign("recall-reminder", "email", 0.35, "cleaning", kind="general"),
    Campaign("spring-postcard", "direct_mail", -0.1, None, months=(3, 4, 5)),
    Campaign("new-mover-mailer", "direct_mail", 0.05),
    Campaign("instagram-profile", "social", 0.0),
)
"""Every campaign of the demo practices; `kind` None means both kinds of practice run it."""

CREATIVES = {
    "testimonial": ("patient-testimonial-video", "five-star-reviews-carousel"),
    "before_after": ("before-after-carousel", "smile-transformation-static"),
    "offer": ("price-offer-static", "special-discount-banner"),
    "video": ("office-tour-video", "meet-the-doctor-video"),
}
"""Ad creative names by kind (the scorer reads the kind back from the name's words)."""

_REFERRAL_SITES = (
    "https://www.yelp.com/biz/",
    "https://www.healthgrades.com/dentist/",
    "https://www.zocdoc.com/dentist/",
    "https://www.angi.com/companylist/",
)
_SEARCH_REFERRERS = ("https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/")
_SOCIAL_SOURCES = ("instagram", "facebook", "nextdoor", "tiktok")


def channel_mix(on: date) -> dict[str, float]:
    """Shares of web channels on a date (drifting linearly, clamped outside the window)."""
    span = (DRIFT_END - DRIFT_START).days
    t = min(max((on - DRIFT_START).days / span, 0.0), 1.0)
    return {c: (1 - t) * MIX_START[c] + t * MIX_END[c] for c in WEB_CHANNELS}


def campaigns_for(channel: str, *, practice_kind: str, month: int) -> list[Campaign]:
    """Campaigns running on a channel for a kind of practice in a month."""
    return [
        c
        for c in CAMPAIGNS
        if c.channel == channel and c.kind in (None, practice_kind) and (not c.months or month in c.months)
    ]


def _click_id(rng: random.Random, prefix: str, length: int) -> str:
    return prefix + "".join(rng.choices(string.ascii_letters + string.digits + "-_", k=length))


WEB_TAGS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "fbclid",
    "referrer",
    "ad_creative",
    "keyword_match_type",
)
"""The tracking values a simulated web visit carries (None when its channel sets none)."""


def web_tags(
    rng: random.Random, *, channel: str, campaign: Campaign | None, practice_name: str
) -> tuple[dict[str, str | None], str | None, str | None]:
    """UTM tags, click ids and referrer of a web visit; also the creative kind and match type used."""
    tags: dict[str, str | None] = dict.fromkeys(WEB_TAGS)
    creative_kind = match_type = None
    if campaign is not None:
        tags["utm_campaign"] = campaign.name
    if channel == "google_ads":
        match_type = (
            "exact"
            if campaign and campaign.name == "brand-search"
            else rng.choice(("exact", "phrase", "phrase", "broad", "broad"))
        )
        keyword = (campaign.keyword if campaign else "dentist near me").format(practice=practice_name.lower())
        tags.update(
            utm_source="google",
            utm_medium="cpc",
            utm_term=keyword,
            keyword_match_type=match_type,
            referrer="https://www.google.com/",
        )
        if rng.random() < 0.9:  # auto-tagging on; some clicks only carry the manual UTM tags
            tags["gclid"] = _click_id(rng, "Cj0KCQiA", 40)
    elif channel == "facebook_ads":
        creative_kind = rng.choice(tuple(CREATIVES))
        source = rng.choice(("facebook", "instagram"))
        creative = rng.choice(CREATIVES[creative_kind])
        tags.update(
            utm_source=source,
            utm_medium="paid_social",
            ad_creative=creative,
            utm_content=creative,
            fbclid=_click_id(rng, "IwAR", 50),
        )
        tags["referrer"] = "https://m.facebook.com/" if source == "facebook" else "https://l.instagram.com/"
    elif channel == "organic_search":
        tags["referrer"] = rng.choice(_SEARCH_REFERRERS)
    elif channel == "social":
        if rng.random() < 0.5:
            tags.update(utm_source=rng.choice(_SOCIAL_SOURCES), utm_medium="social")
        else:
            tags["referrer"] = rng.choice(("https://www.instagram.com/", "https://www.tiktok.com/"))
    elif channel == "email":
        tags.update(utm_source="newsletter", utm_medium="email")
    elif channel == "direct_mail":
        tags.update(utm_source="direct_mail", utm_medium="print", utm_content="qr-code")
    elif channel == "referral_site":
        tags["referrer"] = rng.choice(_REFERRAL_SITES) + practice_name.lower().replace(" ", "-")
    return tags, creative_kind, match_type


def call_tags(channel: str, campaign: str) -> dict[str, str | None]:
    """The source tags a call-tracking provider attaches to a call on a tracking number."""
    source, medium = {
        "google_ads": ("google", "cpc"),
        "facebook_ads": ("facebook", "paid_social"),
        "organic_search": ("google", "organic"),
        "direct_mail": ("direct_mail", "print"),
        "email": ("newsletter", "email"),
        "social": ("instagram", "social"),
    }.get(channel, (None, None))
    return {"utm_source": source, "utm_medium": medium, "utm_campaign": campaign}
