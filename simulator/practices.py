"""The demo practices: locations, providers, form sources, tracking numbers and staff.

Fixed, fictional but geographically real (ZIP codes and their coordinates come from the `zipcodes`
package, so distance routing works). Phone numbers of the practices themselves are in the
555-0100..0199 range reserved for fiction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import zipcodes

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Keys of `LocationSpec.business_hours`, Monday first like `datetime.weekday()`."""

BusinessHours = dict[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class LocationSpec:
    """One office of a practice, with the hours its front desk answers."""

    slug: str
    name: str
    time_zone: str
    street: str
    city: str
    state: str
    zip: str
    latitude: float
    longitude: float
    phone: str
    business_hours: BusinessHours = field(hash=False)
    holidays: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """A dentist or orthodontist patients may ask for by name."""

    name: str
    title: str
    location_slug: str
    specialty: str


@dataclass(frozen=True, slots=True)
class FormSourceSpec:
    """A web form that posts inquiries to us; some forms belong to one location."""

    key: str
    name: str
    default_location_slug: str | None


@dataclass(frozen=True, slots=True)
class TrackingNumberSpec:
    """A call-tracking number printed on one channel's ads, ringing one location."""

    phone_e164: str
    location_slug: str
    channel: str
    campaign: str


@dataclass(frozen=True, slots=True)
class StaffSpec:
    """A person who works leads: front desk, manager, admin or overflow agent."""

    email: str
    display_name: str
    role: str
    location_slugs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PracticeSpec:
    """A practice (one customer) with everything the demo seeds for it."""

    slug: str
    name: str
    time_zone: str
    locations: tuple[LocationSpec, ...]
    providers: tuple[ProviderSpec, ...]
    form_sources: tuple[FormSourceSpec, ...]
    tracking_numbers: tuple[TrackingNumberSpec, ...]
    staff: tuple[StaffSpec, ...]
    support_phone: str

    def location(self, slug: str) -> LocationSpec:
        """The location with this slug (KeyError if the practice has none)."""
        for location in self.locations:
            if location.slug == slug:
                return location
        raise KeyError(slug)


@dataclass(frozen=True, slots=True)
class CallCenterSpec:
    """The overflow call center that answers leads the practices miss."""

    slug: str
    name: str
    phone: str
    agents: tuple[StaffSpec, ...]
    practice_slugs: tuple[str, ...]


def _coordinates(zip_code: str) -> tuple[float, float]:
    """Latitude and longitude of a ZIP as the `zipcodes` package knows it (the same source as routing)."""
    match = zipcodes.matching(zip_code)
    if not match:
        raise ValueError(f"unknown ZIP code {zip_code}")
    return float(match[0]["lat"]), float(match[0]["long"])


def _hours(weekday: tuple[tuple[str, str], ...], saturday: tuple[tuple[str, str], ...] = ()) -> BusinessHours:
    """Business hours with the same intervals Monday to Friday."""
    hours: BusinessHours = {day: weekday for day in WEEKDAYS[:5]}
    hours["sat"] = saturday
    hours["sun"] = ()
    return hours


_US_HOLIDAYS = (
    "2025-01-01",
    "2025-05-26",
    "2025-07-04",
    "2025-09-01",
    "2025-11-27",
    "2025-12-25",
    "2026-01-01",
    "2026-05-25",
    "2026-07-03",
    "2026-09-07",
    "2026-11-26",
    "2026-12-25",
    "2027-01-01",
    "2027-05-31",
    "2027-07-05",
    "2027-09-06",
    "2027-11-25",
    "2027-12-24",
)
"""Days the demo offices are closed (observed federal holidays the offices keep)."""

_LUNCH_CLOSED = (("08:00", "12:00"), ("13:00", "17:00"))
"""Weekday hours of offices whose front desk takes a lunch hour."""


def _location(
    *, slug: str, name: str, time_zone: str, street: str, zip_code: str, phone: str, hours: BusinessHours
) -> LocationSpec:
    """A location whose city, state and coordinates come from its ZIP code."""
    match = zipcodes.matching(zip_code)[0]
    latitude, longitude = _coordinates(zip_code)
    return LocationSpec(
        slug=slug,
        name=name,
        time_zone=time_zone,
        street=street,
        city=match["city"].title(),
        state=match["state"],
        zip=zip_code,
        latitude=latitude,
        longitude=longitude,
        phone=phone,
        business_hours=hours,
        holidays=_US_HOLIDAYS,
    )


def _bright_smile() -> PracticeSpec:
    """A general dentistry group with three offices around Austin, TX (Central time)."""
    tz = "America/Chicago"
    locations = (
        _location(
            slug="downtown",
            name="Bright Smile Downtown",
            time_zone=tz,
            street="301 Congress Ave",
            zip_code="78701",
            phone="+15125550100",
            hours=_hours(_LUNCH_CLOSED),
        ),
        _location(
            slug="round-rock",
            name="Bright Smile Round Rock",
            time_zone=tz,
            street="1500 E Palm Valley Blvd",
            zip_code="78664",
            phone="+15125550110",
            hours=_hours((("07:30", "18:00"),), (("08:00", "13:00"),)),
        ),
        _location(
            slug="cedar-park",
            name="Bright Smile Cedar Park",
            time_zone=tz,
            street="1335 E Whitestone Blvd",
            zip_code="78613",
            phone="+15125550120",
            hours=_hours((("09:00", "18:00"),)),
        ),
    )
    providers = (
        ProviderSpec("Dr. Maria Chen", "DDS", "downtown", "general"),
        ProviderSpec("Dr. James Okafor", "DMD", "downtown", "implants"),
        ProviderSpec("Dr. Priya Raman", "DDS", "round-rock", "general"),
        ProviderSpec("Dr. Daniel Brooks", "DDS", "round-rock", "pediatric"),
        ProviderSpec("Dr. Elena Vasquez", "DMD", "cedar-park", "cosmetic"),
    )
    form_sources = (
        FormSourceSpec("website-contact", "Website contact form", None),
        FormSourceSpec("implants-landing", "Dental implants landing page", None),
        FormSourceSpec("new-patient-special", "New patient special offer", None),
        FormSourceSpec("round-rock-page", "Round Rock office page", "round-rock"),
    )
    tracking_numbers = (
        TrackingNumberSpec("+15125550101", "downtown", "google_ads", "implants-austin"),
        TrackingNumberSpec("+15125550102", "downtown", "organic_search", "website-header"),
        TrackingNumberSpec("+15125550111", "round-rock", "google_ads", "new-patient-special"),
        TrackingNumberSpec("+15125550112", "round-rock", "direct_mail", "spring-postcard"),
        TrackingNumberSpec("+15125550121", "cedar-park", "facebook_ads", "whitening-promo"),
    )
    staff = (
        StaffSpec("ana.front@brightsmile.example", "Ana Torres", "front_desk", ("downtown",)),
        StaffSpec("ben.front@brightsmile.example", "Ben Walker", "front_desk", ("downtown",)),
        StaffSpec("carla.front@brightsmile.example", "Carla Nguyen", "front_desk", ("round-rock",)),
        StaffSpec("dev.front@brightsmile.example", "Dev Patel", "front_desk", ("cedar-park",)),
        StaffSpec(
            "maya.manager@brightsmile.example",
            "Maya Johnson",
            "manager",
            ("downtown", "round-rock", "cedar-park"),
        ),
        StaffSpec(
            "admin@brightsmile.example",
            "Bright Smile Admin",
            "practice_admin",
            ("downtown", "round-rock", "cedar-park"),
        ),
    )
    return PracticeSpec(
        slug="bright-smile",
        name="Bright Smile Dental",
        time_zone=tz,
        locations=locations,
        providers=providers,
        form_sources=form_sources,
        tracking_numbers=tracking_numbers,
        staff=staff,
        support_phone="+15125550199",
    )


def _lakeside() -> PracticeSpec:
    """An orthodontic practice with two offices around Portland, OR (Pacific time)."""
    tz = "America/Los_Angeles"
    locations = (
        _location(
            slug="lake-oswego",
            name="Lakeside Orthodontics Lake Oswego",
            time_zone=tz,
            street="333 S State St",
            zip_code="97034",
            phone="+15035550100",
            hours=_hours((("08:00", "12:00"), ("13:00", "17:30")), (("09:00", "13:00"),)),
        ),
        _location(
            slug="cedar-mill",
            name="Lakeside Orthodontics Cedar Mill",
            time_zone=tz,
            street="12345 NW Cornell Rd",
            zip_code="97229",
            phone="+15035550110",
            hours=_hours((("08:30", "17:30"),)),
        ),
    )
    providers = (
        ProviderSpec("Dr. Sarah Lindqvist", "DDS, MS", "lake-oswego", "orthodontics"),
        ProviderSpec("Dr. Kevin Park", "DMD, MS", "cedar-mill", "orthodontics"),
        ProviderSpec("Dr. Aisha Rahman", "DDS, MS", "cedar-mill", "orthodontics"),
    )
    form_sources = (
        FormSourceSpec("website-contact", "Website contact form", None),
        FormSourceSpec("invisalign-landing", "Invisalign landing page", None),
        FormSourceSpec("free-consult", "Free consultation form", None),
        FormSourceSpec("cedar-mill-page", "Cedar Mill office page", "cedar-mill"),
    )
    tracking_numbers = (
        TrackingNumberSpec("+15035550101", "lake-oswego", "google_ads", "invisalign-portland"),
        TrackingNumberSpec("+15035550102", "lake-oswego", "facebook_ads", "smile-makeover"),
        TrackingNumberSpec("+15035550111", "cedar-mill", "google_ads", "braces-kids"),
        TrackingNumberSpec("+15035550112", "cedar-mill", "direct_mail", "back-to-school"),
    )
    staff = (
        StaffSpec("erin.front@lakesideortho.example", "Erin Miller", "front_desk", ("lake-oswego",)),
        StaffSpec("felix.front@lakesideortho.example", "Felix Garcia", "front_desk", ("cedar-mill",)),
        StaffSpec(
            "grace.manager@lakesideortho.example", "Grace Kim", "manager", ("lake-oswego", "cedar-mill")
        ),
        StaffSpec(
            "admin@lakesideortho.example", "Lakeside Admin", "practice_admin", ("lake-oswego", "cedar-mill")
        ),
    )
    return PracticeSpec(
        slug="lakeside-ortho",
        name="Lakeside Orthodontics",
        time_zone=tz,
        locations=locations,
        providers=providers,
        form_sources=form_sources,
        tracking_numbers=tracking_numbers,
        staff=staff,
        support_phone="+15035550199",
    )


def demo_practices() -> list[PracticeSpec]:
    """The two demo practices: a three-office dental group and a two-office orthodontist."""
    return [_bright_smile(), _lakeside()]


def demo_call_center() -> CallCenterSpec:
    """The overflow call center that both demo practices employ."""
    practices = demo_practices()
    agents = (
        StaffSpec("hana.agent@overflow.example", "Hana Ito", "overflow_agent", ()),
        StaffSpec("omar.agent@overflow.example", "Omar Haddad", "overflow_agent", ()),
        StaffSpec("lucy.agent@overflow.example", "Lucy Fischer", "overflow_agent", ()),
    )
    return CallCenterSpec(
        slug="smile-overflow",
        name="Smile Overflow Answering",
        phone="+15125550150",
        agents=agents,
        practice_slugs=tuple(p.slug for p in practices),
    )
