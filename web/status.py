"""`/status` for operators and practice admins, and `/api/status` for monitoring systems."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.openapi import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template
from redis.asyncio import Redis

from router.core.domain import Domain
from router.ops.status import CRITICAL, build_report
from router.privacy.access import require
from web.sessions import current_session

STATUS_REFRESH_SECONDS = 15
"""The page refreshes its checks this often: the heartbeat's own cadence, so a stop shows within one."""


@get("/status", include_in_schema=False)
async def status_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], redis: NamedDependency[Redis]
) -> Template | Redirect:
    """Every check in plain words; what to do beside anything amber or red."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    require(signed_in.viewer, "status.view")
    report = await build_report(domain, redis)
    return Template(
        "status.html",
        context={
            "viewer": signed_in.viewer,
            "current_page": "status",
            "report": report,
            "refresh_seconds": STATUS_REFRESH_SECONDS,
        },
    )


def _unauthorised(detail: str) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=401, title="Unauthorized", detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def _bearer(request: Request[Any, Any, Any]) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _authorise(request: Request[Any, Any, Any], domain: Domain) -> None:
    """The monitoring token (no database needed), else a signed-in person allowed `status.view`."""
    token = _bearer(request)
    configured = domain.settings.ops.status_token
    if token is not None:
        if configured and hmac.compare_digest(token.encode(), configured.encode()):
            return
        raise _unauthorised("the bearer token is not this deployment's LEADROUTER_STATUS_TOKEN")
    signed_in = await current_session(request, domain)
    if signed_in is None:
        raise _unauthorised("sign in, or send Authorization: Bearer <LEADROUTER_STATUS_TOKEN>")
    require(signed_in.viewer, "status.view")


@get(
    "/api/status",
    tags=["operations"],
    summary="The service's status: worker, queue, sweeps, audit sealing, PMS sync, backup, servers",
    description=(
        "Authorization: `Bearer <LEADROUTER_STATUS_TOKEN>` (works while PostgreSQL is down), or the "
        "session of a platform operator or practice admin. 200 when nothing is red (`status` ok or "
        "warning), 503 when something is (`status` critical); each check says what to do."
    ),
    raises=[NotAuthorizedException, PermissionDeniedException],
    responses={
        503: ResponseSpec(
            data_container=dict[str, Any], description="Something is down", generate_examples=False
        )
    },
)
async def status_json(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], redis: NamedDependency[Redis]
) -> Response[dict[str, Any]]:
    await _authorise(request, domain)
    report = await build_report(domain, redis)
    return Response(
        report.as_json(),
        status_code=503 if report.state == CRITICAL else 200,
        headers={"Cache-Control": "no-store"},
    )
