"""The raw JSON bodies: a flat form webhook, or the same fields as a call tracker knows them.

Fields follow the product's form-webhook contract (see the module `simulator.inquiries` for who
calls this). Optional fields are left out, as real form providers do, rather than sent empty.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from simulator.marketing import Campaign
from simulator.model import LeadTruth
from simulator.people import Person
from simulator.practices import LocationSpec, PracticeSpec

CONSENT_VERSIONS = (("2026-01-01", "2026-01"), ("0000-00-00", "2025-06"))
"""SMS consent wording versions by the date they took effect (newest first)."""

LOCATION_FIELD_SHARE = 0.5
"""Share of web forms that carry a location choice; the rest are routed by ZIP."""

_AWARENESS = ("social", "facebook_ads", "direct_mail", "referral_site", "organic_search")
_NURTURE = ("email", "organic_search", "google_ads", "social", "direct")
_PAGES = {
    "website-contact": "contact",
    "implants-landing": "dental-implants",
    "new-patient-special": "new-patients",
    "invisalign-landing": "invisalign",
    "free-consult": "free-consultation",
}


def visitor_id(rng: random.Random) -> str:
    """A random analytics visitor id (a UUID4 from the seeded stream)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _client_ip(rng: random.Random) -> str:
    """An address from the documentation ranges (RFC 5737): realistic shape, never a real visitor."""
    return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"


def _website(practice: PracticeSpec) -> str:
    return f"https://www.{practice.slug.replace('-', '')}.example.com"


def pick_form_source(
    rng: random.Random,
    practice: PracticeSpec,
    location: LocationSpec,
    *,
    interest: str,
    campaign: Campaign | None,
) -> str:
    """The form the person used: the office's own page, a treatment landing page, or the contact form."""
    keys = {f.key: f for f in practice.form_sources}
    own = [f.key for f in practice.form_sources if f.default_location_slug == location.slug]
    if own and rng.random() < 0.35:
        return own[0]
    landing = {"implants": "implants-landing", "invisalign": "invisalign-landing"}.get(interest)
    if landing in keys and rng.random() < 0.7:
        return landing
    if campaign and ("special" in campaign.name or "offer" in campaign.name):
        for key in ("new-patient-special", "free-consult"):
            if key in keys:
                return key
    return "website-contact"


def form_payload(
    rng: random.Random,
    *,
    person: Person,
    local: datetime,
    tags: dict[str, Any],
    truth: LeadTruth,
    message: str,
    location: LocationSpec,
    practice: PracticeSpec,
    form_source: str,
) -> dict[str, Any]:
    """The flat JSON body a web form provider posts for this inquiry."""
    page = _PAGES.get(form_source, location.slug)
    landing = f"{_website(practice)}/{page}"
    query = "&".join(f"{k}={v}" for k, v in tags.items() if k.startswith(("utm_", "gclid", "fbclid")) and v)
    payload: dict[str, Any] = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "phone": _formatted(rng, person.phone),
        "zip": person.zip,
        "treatment_interest": truth.interest,
        "sms_consent": rng.random() < 0.75,
        "sms_consent_text_version": next(v for d, v in CONSENT_VERSIONS if local.date().isoformat() >= d),
        "consent_page": landing,
        "client_ip": _client_ip(rng),
        "visitor_id": visitor_id(rng),
        "submitted_at": local.isoformat(),
        "landing_page": f"{landing}?{query}" if query else landing,
    }
    _add_optional(rng, payload, person=person, truth=truth, message=message, location=location)
    payload.update({k: v for k, v in tags.items() if v is not None})
    for name in ("pages_visited", "time_on_site_seconds", "form_completion_seconds"):
        if getattr(truth, name) is not None:
            payload[name] = getattr(truth, name)
    if truth.device:
        payload["device_type"] = truth.device
    return payload


def call_payload(
    rng: random.Random,
    *,
    person: Person,
    local: datetime,
    tags: dict[str, Any],
    truth: LeadTruth,
    message: str,
    location: LocationSpec,
) -> dict[str, Any]:
    """What a call tracker knows of a call, in the form fields: caller ID, source tags, a call note."""
    payload: dict[str, Any] = {
        "phone": person.phone,
        "submitted_at": local.isoformat(),
        "sms_consent": False,
        "location": location.slug,
    }
    if rng.random() < 0.7:  # caller ID name lookup succeeded
        payload.update(first_name=person.first_name, last_name=person.last_name)
    if rng.random() < 0.5:  # the agent noted what the caller wanted
        payload.update(treatment_interest=truth.interest, message=message)
    if rng.random() < 0.3:
        payload["zip"] = person.zip
    payload.update({k: v for k, v in tags.items() if v is not None})
    return payload


def _add_optional(
    rng: random.Random,
    payload: dict[str, Any],
    *,
    person: Person,
    truth: LeadTruth,
    message: str,
    location: LocationSpec,
) -> None:
    """Fields that some forms ask for and some people fill in."""
    if rng.random() < LOCATION_FIELD_SHARE:
        payload["location"] = location.slug
    if rng.random() < 0.4:
        payload["date_of_birth"] = person.date_of_birth.isoformat()
    if rng.random() < 0.7:
        payload["age_range"] = person.age_range
    if rng.random() < 0.65:
        payload["last_dental_visit"] = truth.last_visit
    roll = rng.random()
    if roll < 0.85:
        payload["message"] = message
    elif roll < 0.9:
        payload["message"] = ""


def _formatted(rng: random.Random, e164: str) -> str:
    """The phone as a person types it: (512) 473-8291, 512-473-8291, or +15124738291."""
    digits = e164[2:]
    style = rng.random()
    if style < 0.4:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    if style < 0.8:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return e164


def journey_before(rng: random.Random, channel: str, received_at: datetime) -> list[tuple[str, datetime]]:
    """Touches leading to the inquiry: maybe an awareness touch, some nurture, then the inquiry's channel."""
    touches: list[str] = []
    if rng.random() < 0.45:
        touches.append(rng.choice(_AWARENESS))
    while rng.random() < 0.35 and len(touches) < 5:
        touches.append(rng.choice(_NURTURE))
    touches.append(channel)
    at = received_at
    stamped: list[tuple[str, datetime]] = []
    for touch in reversed(touches):
        stamped.append((touch, at))
        at -= timedelta(hours=rng.uniform(2, 24 * 9))
    return stamped[::-1]
