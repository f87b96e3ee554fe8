"""Marketing channel of an inquiry, from its ad-click parameters and referrer.

One classifier for the live intake, the training history and attribution, so a lead's channel
means the same thing everywhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

CHANNELS = (
    "google_ads",
    "facebook_ads",
    "organic_search",
    "social",
    "email",
    "direct_mail",
    "referral_site",
    "physician_referral",
    "phone",
    "walk_in",
    "chat",
    "direct",
    "patient_referral",
)
"""Every channel the product reports on, in the order reports list them. A channel's position is its
code in the models' features: a new channel goes last, so models trained before it keep their codes."""

PATIENT_REFERRAL = "patient_referral"
"""A patient sent by another patient (word of mouth), apart from physicians' referrals and review sites."""

_SEARCH_ENGINES = ("google.", "bing.", "yahoo.", "duckduckgo.", "ecosia.")
_SOCIAL_SITES = ("facebook.", "instagram.", "tiktok.", "twitter.", "x.com", "linkedin.", "nextdoor.")
_PAID_MEDIUMS = {"cpc", "ppc", "paid", "paidsearch", "paid_search", "paid-social", "paid_social", "display"}


def classify_channel(
    *,
    utm_source: str | None = None,
    utm_medium: str | None = None,
    gclid: str | None = None,
    fbclid: str | None = None,
    referrer: str | None = None,
) -> str:
    """The channel a web inquiry came through; click ids win over UTM tags, UTM over referrer."""
    source = (utm_source or "").strip().lower()
    medium = (utm_medium or "").strip().lower()
    if gclid or (source == "google" and medium in _PAID_MEDIUMS):
        return "google_ads"
    if source in {"facebook", "instagram", "meta"} and medium in _PAID_MEDIUMS:
        return "facebook_ads"
    if fbclid:
        return "facebook_ads"
    if medium == "email" or source in {"newsletter", "email"}:
        return "email"
    if medium in {"print", "direct_mail", "mail", "postcard"} or source == "direct_mail":
        return "direct_mail"
    if medium in {"social", "social-organic", "organic_social"}:
        return "social"
    if medium == "organic":
        return "organic_search"
    host = (urlsplit(referrer).hostname or "") if referrer else ""
    if host:
        if any(engine in host for engine in _SEARCH_ENGINES):
            return "organic_search"
        if any(site in host for site in _SOCIAL_SITES):
            return "social"
        return "referral_site"
    if source:
        return "referral_site"
    return "direct"
