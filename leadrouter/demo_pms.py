"""Connecting the demo practice to its local PMS (connectors/pms/fhir_demo.py) for `leadrouter run`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from router.core.domain import Domain
from router.core.models import Location, PmsConnection, Practice, Provider

DEMO_PMS_PRACTICE = "bright-smile"
"""The demo practice whose bookings go into the local PMS (the other demo practices have none)."""


async def connect_demo_pms(domain: Domain, base_url: str) -> dict[str, Any]:
    """Give the practice's offices and providers PMS ids, point its connection at `base_url` (writable,
    the cursor kept across restarts only when the address is the same), and return the PMS's seed."""
    async with domain.sessionmaker() as session, session.begin():
        practice = await session.scalar(select(Practice).where(Practice.slug == DEMO_PMS_PRACTICE))
        if practice is None:
            return {}
        locations = (await session.scalars(select(Location).where(Location.practice_id == practice.id))).all()
        providers = (
            await session.scalars(
                select(Provider).where(Provider.practice_id == practice.id).order_by(Provider.name)
            )
        ).all()
        for location in locations:
            location.pms_id = f"loc-{location.slug}"
        for number, provider in enumerate(providers, start=1):
            provider.pms_id = f"prac-{number}"
        connection = await session.get(PmsConnection, practice.id)
        if connection is None:
            connection = PmsConnection(practice_id=practice.id, kind="fhir", cursor={})
            session.add(connection)
        if connection.base_url != base_url:
            connection.cursor = {}  # a new PMS process starts empty: read it from the start
        connection.kind, connection.base_url, connection.writable = "fhir", base_url, True
        connection.updated_at = domain.clock.now()
        connection.next_sync_at = None
        return {
            "locations": {location.pms_id: location.name for location in locations},
            "practitioners": {provider.pms_id: provider.name for provider in providers},
            "time_zone": practice.time_zone,
        }
