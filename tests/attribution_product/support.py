"""Helpers of the attribution-in-the-product tests: a practice with a tracking site, visits, bookings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from router.core.models import FunnelEvent, PatientValue
from router.marketing.tracking import create_tracking_site
from tests.factories import make_practice

SITE_ORIGIN = "https://www.brightsmile.example"
SITE_KEY = "bright-site"


async def practice_with_site(domain, **kwargs: Any):  # type: ignore[no-untyped-def]
    """A practice (manager and front desk) whose website may post visits under SITE_KEY."""
    kwargs.setdefault(
        "staff", {"boss@bright.example": {"role": "manager"}, "desk@bright.example": {"role": "front_desk"}}
    )
    fixture = await make_practice(domain, **kwargs)
    async with domain.sessionmaker() as session, session.begin():
        await create_tracking_site(session, fixture.practice.id, [SITE_ORIGIN], key=SITE_KEY)
    return fixture


async def reach_stage(
    domain, lead_id: uuid.UUID, practice_id: uuid.UUID, stage: str, at: datetime, value: float | None = None
) -> None:  # type: ignore[no-untyped-def]
    """Record a lead's funnel stage (as booking or the PMS would), optionally its patient value."""
    async with domain.sessionmaker() as session, session.begin():
        session.add(FunnelEvent(practice_id=practice_id, lead_id=lead_id, stage=stage, occurred_at=at))
        if value is not None:
            session.add(
                PatientValue(
                    lead_id=lead_id, practice_id=practice_id, value=value, source="staff", recorded_at=at
                )
            )


async def post_visit(client, body: dict[str, Any], *, origin: str = SITE_ORIGIN, key: str = SITE_KEY, **kw):  # type: ignore[no-untyped-def]
    """A visit as the script sends it (text/plain JSON, from the practice's site)."""
    import json

    headers = {"origin": origin, "content-type": "text/plain;charset=UTF-8", **kw.pop("headers", {})}
    return await client.post(f"/collect/{key}", content=json.dumps(body), headers=headers, **kw)


def visit(visitor: str, visit_id: str, url: str, **fields: Any) -> dict[str, Any]:
    return {"visitor_id": visitor, "visit_id": visit_id, "url": url, "referrer": "", **fields}
