"""The demo practice's PMS: the local FHIR server as its own process, with the practice's schedule and
a front desk that records what happened to each visit, so bookings, no-shows and completed visits
flow back into the demo.

`python -m connectors.pms.fhir_demo --port P --seed FILE` (FILE: the offices, providers and zone that
`leadrouter run` wrote). The demo's front desk fast-forwards: a visit booked in the PMS is given its
outcome a few minutes later (most completed, some no-shows, a few cancelled), since a demo session is
shorter than the days until the visit. State is held in memory: a restarted PMS starts empty.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.pms.fhir_seed import seed_schedule
from connectors.pms.fhir_server import FhirTestServer

OUTCOME_AFTER = timedelta(minutes=3)
"""How long after booking the demo's front desk records the visit's outcome."""
OUTCOME_CHECK_SECONDS = 20
OUTCOMES = ("fulfilled",) * 7 + ("noshow",) * 2 + ("cancelled",)
"""Seven in ten visits happen, two are no-shows, one is cancelled (chosen by the appointment's id)."""
SCHEDULE_DAYS = 21


def outcome_for(appointment_id: str) -> str:
    digest = hashlib.sha256(appointment_id.encode()).digest()
    return OUTCOMES[digest[0] % len(OUTCOMES)]


def record_outcomes(server: FhirTestServer, now: datetime) -> int:
    """Give every booked visit older than OUTCOME_AFTER its outcome; returns how many changed."""
    changed = 0
    for appointment in server.all("Appointment"):
        created = datetime.fromisoformat(appointment["meta"]["lastUpdated"])
        if appointment["status"] == "booked" and now - created >= OUTCOME_AFTER:
            server.set_status("Appointment", appointment["id"], outcome_for(appointment["id"]))
            changed += 1
    return changed


async def serve(port: int, seed: dict[str, Any]) -> None:
    server = await FhirTestServer(port=port).start()
    seed_schedule(
        server,
        locations=seed["locations"],
        practitioners=seed["practitioners"],
        first_day=date.today() + timedelta(days=1),
        days=SCHEDULE_DAYS,
        time_zone=seed["time_zone"],
    )
    try:
        while True:
            await asyncio.sleep(OUTCOME_CHECK_SECONDS)
            record_outcomes(server, datetime.now(UTC))
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="The demo practice's PMS (a local FHIR R4 server).")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=Path, required=True)
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.port, json.loads(arguments.seed.read_text())))


if __name__ == "__main__":
    main()
