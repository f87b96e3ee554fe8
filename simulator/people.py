"""Fake people who inquire: names, emails, phones valid in the office's region, home ZIP codes.

Phones use the location's real area codes and a random exchange (never 555), so `phonenumbers`
accepts them; emails use the reserved example.* domains so nothing is ever delivered. Some
inquiries come from someone seen before: the same person again (`REPEAT_SHARE`) or a parent
asking for a second child (`SIBLING_SHARE`: same phone and email, another first name).
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache

import numpy as np
import zipcodes

from simulator.practices import LocationSpec

REPEAT_SHARE = 0.04
"""Share of inquiries from a person who already inquired (a retried form, a call after a form)."""

SIBLING_SHARE = 0.025
"""Share of inquiries from a parent for another child: exercises the merge rules on shared phones."""

RECENT_PEOPLE = 300
"""How many recent people repeats and siblings are drawn from (a few weeks of inquiries)."""

NEAR_MILES, MID_MILES, FAR_MILES = 12.0, 35.0, 150.0
"""Home ZIP rings around an office: neighbours, the metro, and people from out of town."""

RING_SHARES = (0.62, 0.3, 0.08)
"""Most patients live within a short drive; a few travel or are moving to the area."""

AGE_RANGE_SHARES = {"under_18": 0.17, "18_34": 0.31, "35_54": 0.32, "55_plus": 0.2}
"""Who inquires (children are inquired for by a parent)."""

_AGE_SPANS = {"under_18": (4, 17), "18_34": (18, 34), "35_54": (35, 54), "55_plus": (55, 84)}

FIRST_NAMES = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Sofia",
    "Mark",
    "Ashley",
    "Luis",
    "Emily",
    "Andrew",
    "Ana",
    "Joshua",
    "Michelle",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "Wei",
    "Priya",
    "Jose",
    "Olivia",
    "Ethan",
    "Emma",
    "Noah",
    "Ava",
    "Liam",
    "Mia",
    "Lucas",
    "Isabella",
    "Mateo",
    "Chloe",
    "Aiden",
    "Zoe",
    "Hiroshi",
    "Fatima",
    "Omar",
    "Grace",
    "Diego",
    "Hannah",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Kim",
    "Patel",
    "Shah",
    "Chen",
    "Wang",
    "Murphy",
    "O'Brien",
    "Nakamura",
    "Okafor",
    "Kowalski",
)
_EXCHANGES = tuple(e for e in range(201, 1000) if e % 100 != 11 and e != 555)
"""Dialable US exchanges: no N11 service codes, and never 555 (reserved for fiction and our offices)."""
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who inquires, with the contact details a form or caller ID gives."""

    first_name: str
    last_name: str
    email: str
    phone: str
    zip: str
    distance_miles: float
    age_range: str
    date_of_birth: date


@cache
def _zip_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ZIP codes with coordinates (standard, active ones), loaded once."""
    rows = [z for z in zipcodes.list_all() if z["active"] and z["zip_code_type"] == "STANDARD" and z["lat"]]
    codes = np.array([z["zip_code"] for z in rows])
    return codes, np.array([float(z["lat"]) for z in rows]), np.array([float(z["long"]) for z in rows])


def _haversine_miles(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle distances in miles from one point to many."""
    phi1, phi2 = math.radians(lat), np.radians(lats)
    dphi, dlambda = phi2 - phi1, np.radians(lons - lon)
    a = np.sin(dphi / 2) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
    return 3958.8 * 2 * np.arcsin(np.sqrt(a))


@cache
def zip_rings(latitude: float, longitude: float) -> tuple[tuple[tuple[str, float], ...], ...]:
    """(ZIP, miles) pairs in the near, metro and far rings around a point."""
    codes, lats, lons = _zip_table()
    miles = _haversine_miles(latitude, longitude, lats, lons)
    rings = []
    for low, high in ((0.0, NEAR_MILES), (NEAR_MILES, MID_MILES), (MID_MILES, FAR_MILES)):
        picked = np.flatnonzero((miles >= low) & (miles < high))
        rings.append(tuple((str(codes[i]), round(float(miles[i]), 2)) for i in picked))
    return tuple(rings)


@cache
def _area_codes(zip_code: str) -> tuple[str, ...]:
    """Telephone area codes serving a ZIP code."""
    return tuple(zipcodes.matching(zip_code)[0]["area_codes"]) or ("512",)


class PeopleFactory:
    """Draws new and returning people for inquiries at given locations."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._recent: deque[Person] = deque(maxlen=RECENT_PEOPLE)

    def person_for(self, location: LocationSpec, *, on: date, interest: str) -> tuple[Person, str]:
        """A person inquiring at this location, and whether they are "new", a "repeat" or a "sibling"."""
        roll = self._rng.random()
        if self._recent and roll < REPEAT_SHARE:
            return self._rng.choice(self._recent), "repeat"
        if self._recent and roll < REPEAT_SHARE + SIBLING_SHARE:
            parent = self._rng.choice(self._recent)
            child = self._child_of(parent, on=on)
            self._recent.append(child)
            return child, "sibling"
        person = self._new_person(location, on=on, interest=interest)
        self._recent.append(person)
        return person, "new"

    def _new_person(self, location: LocationSpec, *, on: date, interest: str) -> Person:
        rng = self._rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        ring = rng.choices(zip_rings(location.latitude, location.longitude), weights=RING_SHARES)[0]
        home_zip, miles = rng.choice(ring)
        age_range = self._age_range(interest)
        return Person(
            first_name=first,
            last_name=last,
            email=self._email(first, last),
            phone=self._phone(location.zip),
            zip=home_zip,
            distance_miles=miles,
            age_range=age_range,
            date_of_birth=self._birth_date(age_range, on=on),
        )

    def _child_of(self, parent: Person, *, on: date) -> Person:
        first = self._rng.choice([n for n in FIRST_NAMES if n != parent.first_name])
        birth = self._birth_date("under_18", on=on)
        return replace(parent, first_name=first, age_range="under_18", date_of_birth=birth)

    def _age_range(self, interest: str) -> str:
        weights = dict(AGE_RANGE_SHARES)
        if interest in ("orthodontics", "pediatric"):
            weights["under_18"] *= 4
        if interest == "implants":
            weights["55_plus"] *= 3
            weights["under_18"] = 0.0
        return self._rng.choices(list(weights), weights=list(weights.values()))[0]

    def _birth_date(self, age_range: str, *, on: date) -> date:
        low, high = _AGE_SPANS[age_range]
        age_days = self._rng.randint(low * 365 + 1, high * 365 + 300)
        return on - timedelta(days=age_days)

    def _email(self, first: str, last: str) -> str:
        local = f"{first}.{last}".lower().replace("'", "")
        if self._rng.random() < 0.6:
            local += str(self._rng.randint(1, 99))
        return f"{local}@{self._rng.choice(_EMAIL_DOMAINS)}"

    def _phone(self, office_zip: str) -> str:
        area = self._rng.choice(_area_codes(office_zip))
        exchange = self._rng.choice(_EXCHANGES)
        return f"+1{area}{exchange:03d}{self._rng.randint(0, 9999):04d}"
