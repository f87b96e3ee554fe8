"""Distance from a lead's ZIP code to the nearest office, from the `zipcodes` package's coordinates."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

import zipcodes

EARTH_RADIUS_MILES = 3958.8
"""Mean Earth radius; haversine error versus road distance dwarfs the ellipsoid's."""


@cache
def _zip_coordinates() -> dict[str, tuple[float, float]]:
    """Every ZIP with coordinates, loaded once (`zipcodes.matching` scans the whole list: ~6 ms a call)."""
    return {z["zip_code"]: (float(z["lat"]), float(z["long"])) for z in zipcodes.list_all() if z["lat"]}


def zip_coordinates(zip_code: str | None) -> tuple[float, float] | None:
    """Latitude and longitude of a US ZIP (ZIP+4 and spaces tolerated), or None if unknown."""
    if not zip_code:
        return None
    return _zip_coordinates().get(str(zip_code).strip()[:5])


def haversine_miles(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in miles between two (latitude, longitude) points."""
    phi1, phi2 = math.radians(a[0]), math.radians(b[0])
    dphi, dlambda = phi2 - phi1, math.radians(b[1] - a[1])
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def distance_miles(zip_code: str | None, locations: Sequence[tuple[float, float]]) -> float | None:
    """Miles from the ZIP's centre to the nearest of the (latitude, longitude) locations; None if unknown."""
    home = zip_coordinates(zip_code)
    if home is None or not locations:
        return None
    return min(haversine_miles(home, location) for location in locations)
