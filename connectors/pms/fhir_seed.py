"""Filling the local FHIR test server with a practice's offices, providers and free slots."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from connectors.pms.fhir_server import FhirTestServer

SLOT_MINUTES = 30


def seed_schedule(
    server: FhirTestServer,
    *,
    locations: Mapping[str, str],
    practitioners: Mapping[str, str],
    first_day: date,
    days: int,
    time_zone: str,
    hours: tuple[int, int] = (9, 17),
) -> None:
    """A Location and Practitioner per id given, a Schedule per pair, free 30-minute weekday slots."""
    for pms_id, name in locations.items():
        server.change({"resourceType": "Location", "id": pms_id, "name": name, "status": "active"})
    for pms_id, name in practitioners.items():
        server.change({"resourceType": "Practitioner", "id": pms_id, "name": [{"text": name}]})
    zone = ZoneInfo(time_zone)
    for location_id in locations:
        for practitioner_id in practitioners:
            schedule_id = f"sch-{location_id}-{practitioner_id}"
            server.change(
                {
                    "resourceType": "Schedule",
                    "id": schedule_id,
                    "active": True,
                    "actor": [
                        {"reference": f"Location/{location_id}"},
                        {"reference": f"Practitioner/{practitioner_id}"},
                    ],
                }
            )
            for offset in range(days):
                day = first_day + timedelta(days=offset)
                if day.weekday() >= 5:
                    continue
                start = datetime.combine(day, time(hours[0]), zone)
                while start.hour < hours[1]:
                    end = start + timedelta(minutes=SLOT_MINUTES)
                    server.change(
                        {
                            "resourceType": "Slot",
                            "id": f"slot-{schedule_id}-{start:%Y%m%d%H%M}",
                            "schedule": {"reference": f"Schedule/{schedule_id}"},
                            "status": "free",
                            "start": start.isoformat(),
                            "end": end.isoformat(),
                        }
                    )
                    start = end
