"""URLs without personal data: what a landing page or a referrer may keep before it is stored.

Web visits (router/marketing/tracking.py) and form inquiries store the same way: a landing page keeps
its scheme, host and path and only the ad parameters of its query; a referrer keeps its origin only
(search terms and paths never). A value that carries an email address or a phone number is refused,
however it is written: percent-encoded once or twice (`%40`, `%2540`), with underscores or dots
between the digits, or as a bare run of digits in a path (`/thanks/5128675309`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

AD_PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid")
"""Query parameters kept from a landing URL; every other parameter is dropped before storage."""
EMAIL = re.compile(r"[^\s@/?&=:]+@[^\s@/?&=:]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![A-Za-z0-9])\+?1?[\s._-]?\(?\d{3}\)?[\s._-]?\d{3}[\s._-]?\d{4}(?![A-Za-z0-9])")
"""A North American number in any usual writing (5125550100, (512) 555-0100, +1 512.555.0100,
512_555_0100)."""
DIGIT_RUN = re.compile(r"\d{7,}")
"""Seven or more digits in a row in a path: a local or full phone number, a record or member number.
Page paths of a practice's site (/blog/2026/03/braces) never need so many."""
DECODE_ROUNDS = 3
"""Percent-decoding is repeated until stable (at most this often), so `%2540` is seen as `@`."""


def fully_decoded(value: str) -> str:
    """The value percent-decoded until it stops changing (`+` read as a space, as in a query)."""
    for _ in range(DECODE_ROUNDS):
        decoded = unquote(value.replace("+", " "))
        if decoded == value:
            break
        value = decoded
    return value


def carries_personal_data(value: str, *, path: bool = False) -> bool:
    """Whether a text carries an email address or a phone number (in a path: any long digit run)."""
    decoded = fully_decoded(value)
    if EMAIL.search(decoded) or PHONE.search(decoded):
        return True
    return path and bool(DIGIT_RUN.search(decoded))


def origin_of(url: str) -> tuple[str, str] | None:
    """(origin, host) of an http(s) URL, or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}", host


@dataclass(frozen=True)
class CleanLandingPage:
    """A landing page as stored, and the ad parameters found in its query."""

    url: str
    ad: dict[str, str]


class PersonalDataInUrl(ValueError):
    """The URL's path carries an email address or a phone number: it is not stored at all."""


def clean_landing_page(url: str) -> CleanLandingPage | None:
    """Scheme, host and path, and the query's ad parameters; None when it is not an http(s) URL.

    Raises PersonalDataInUrl when the path carries personal data. Ad parameters are returned as
    found; the caller checks them like any other ad parameter (`carries_personal_data`).
    """
    found = origin_of(url)
    if found is None:
        return None
    parts = urlsplit(url)
    if carries_personal_data(parts.path, path=True):
        raise PersonalDataInUrl("the page path carries an email address or phone number")
    ad = {k: v for k, v in parse_qsl(parts.query) if k in AD_PARAMETERS and v}
    return CleanLandingPage(f"{found[0]}{parts.path or '/'}", ad)


def clean_referrer(url: str, *, page_host: str | None = None) -> str | None:
    """The referrer's origin (`https://www.google.com/`), or None for our own site or a non-URL."""
    found = origin_of(url)
    if found is None or (page_host is not None and found[1] == page_host):
        return None
    return found[0] + "/"


TRACKING_FIELDS = (
    "visitor_id",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "fbclid",
    "referrer",
    "landing_page",
    "pages_visited",
    "time_on_site_seconds",
    "device_type",
    "form_completion_seconds",
    "ad_creative",
    "keyword_match_type",
)
"""The touchpoint's tracking columns a form inquiry fills (the same ones a web visit fills)."""


PERSONAL_DATA_CHECKED = (*AD_PARAMETERS, "ad_creative", "visitor_id")
"""Free-text tracking fields that are dropped when they carry an email address or a phone number."""


def strip_personal_data(clean: dict[str, Any]) -> tuple[str, ...]:
    """Clean a form inquiry's URLs as web visits are cleaned and drop its tracking values that carry
    personal data, in place; returns the names of the fields withheld."""
    withheld = []
    landing_host = None
    for name in ("landing_page", "consent_page"):
        if name not in clean:
            continue
        try:
            cleaned = clean_landing_page(clean[name])
        except PersonalDataInUrl:
            cleaned = None
            withheld.append(name)
        if cleaned is None:
            clean.pop(name)
            continue
        clean[name] = cleaned.url
        if name == "landing_page":
            landing_host = origin_of(cleaned.url)[1]  # type: ignore[index]
            for key, value in cleaned.ad.items():
                clean.setdefault(key, value[:200])
    if "referrer" in clean:
        referrer = clean_referrer(clean["referrer"], page_host=landing_host)
        if referrer is None:
            clean.pop("referrer")
        else:
            clean["referrer"] = referrer
    for name in PERSONAL_DATA_CHECKED:
        if name in clean and carries_personal_data(str(clean[name])):
            clean.pop(name)
            withheld.append(name)
    return tuple(withheld)
