"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from redis.asyncio import Redis
from sqlalchemy import text

from router.core.domain import Domain

READINESS_TIMEOUT_SECONDS = 2.0
"""A check slower than this counts as down: a probe must answer before the balancer gives up."""


@get("/healthz", tags=["health"], summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/readyz",
    tags=["health"],
    summary="Readiness: PostgreSQL and Redis are reachable",
    responses={
        503: ResponseSpec(
            data_container=dict[str, Any],
            description="PostgreSQL or Redis is unreachable",
            generate_examples=False,
        )
    },
)
async def readyz(domain: NamedDependency[Domain], redis: NamedDependency[Redis]) -> Response[dict[str, Any]]:
    async def database() -> None:
        async with domain.sessionmaker() as session:
            await session.execute(text("SELECT 1"))

    checks: dict[str, str] = {}
    for name, check in (("postgresql", database), ("redis", redis.ping)):
        try:
            await asyncio.wait_for(check(), READINESS_TIMEOUT_SECONDS)
            checks[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; the reason is reported
            checks[name] = f"unavailable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return Response(
        {"status": "ready" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )
