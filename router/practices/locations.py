"""Where a practice's offices are: the office nearest to a patient's ZIP code."""

from __future__ import annotations

from collections.abc import Sequence

from router.core.models import Location
from scoring.geo import haversine_miles, zip_coordinates


def nearest_location(zip_code: str | None, locations: Sequence[Location]) -> tuple[Location, float] | None:
    """The location closest to the ZIP, with its distance; None when the ZIP is unknown."""
    origin = zip_coordinates(zip_code)
    if origin is None:
        return None
    placed = [loc for loc in locations if loc.latitude is not None and loc.longitude is not None]
    if not placed:
        return None
    best = min(placed, key=lambda loc: haversine_miles(origin, (loc.latitude, loc.longitude)))  # type: ignore[arg-type]
    return best, haversine_miles(origin, (best.latitude, best.longitude))  # type: ignore[arg-type]
