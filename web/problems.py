"""Errors as RFC 9457 problem+json: bad fields named, database outages as 503 with Retry-After."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.openapi import ResponseSpec
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from litestar.response import Template
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from router.errors import ActionRefused
from router.normalize import InvalidInquiry

log = logging.getLogger("leadrouter.web")

DATABASE_RETRY_AFTER_SECONDS = 5
"""A failover or restart of PostgreSQL takes seconds; senders should come back soon, not hammer us."""


def invalid_inquiry(exc: InvalidInquiry) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=422,
        title="Invalid inquiry",
        detail=f"{len(exc.errors)} field(s) are invalid; nothing was stored",
        extra={"errors": [{"field": e.field, "message": e.message} for e in exc.errors]},
    )


def _database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.warning("database unavailable for %s: %s", request.url.path, exc)
    return ProblemDetailsException(
        status_code=503,
        title="Service unavailable",
        detail="the database cannot be reached; nothing was stored, please retry",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    ).to_response(request)


def _dbapi_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    if exc.connection_invalidated or isinstance(exc.orig, OSError) or "connect" in str(exc).lower():
        return _database_unavailable(request, exc)
    raise exc


REFUSAL_TITLES = {403: "Not allowed", 404: "Not found", 422: "Invalid choice"}


def wants_page(request: Request[Any, Any, Any]) -> bool:
    """A person's browser asking for a page (not htmx, not the API), who should get HTML back."""
    if request.headers.get("hx-request") or request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def action_refused(request: Request[Any, Any, Any], exc: ActionRefused) -> Response[Any]:
    """A refused action: an error page for a browser's page load, problem+json for scripts and the API."""
    title = REFUSAL_TITLES.get(exc.status_code, "Conflict")
    if wants_page(request):
        return Template(
            "error.html",
            context={"title": title, "message": str(exc), "viewer": None},
            status_code=exc.status_code,
        )
    return ProblemDetailsException(status_code=exc.status_code, title=title, detail=str(exc)).to_response(
        request
    )


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            enable_for_all_http_exceptions=True,
            exception_to_problem_detail_map={InvalidInquiry: invalid_inquiry},
        )
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ActionRefused: action_refused,
    OSError: _database_unavailable,
    ConnectionError: _database_unavailable,
    TimeoutError: _database_unavailable,
    PoolTimeout: _database_unavailable,
    DBAPIError: _dbapi_error,
}


@dataclass(frozen=True)
class Problem:
    """RFC 9457 problem details, as the API answers an error."""

    status: int
    title: str
    detail: str


def documented_problems(**descriptions: str) -> dict[int, ResponseSpec]:
    """Problem answers by status code (`documented_problems(s404="...")`), for a route's `responses`."""
    return {
        int(code.removeprefix("s")): ResponseSpec(
            data_container=Problem,
            description=text,
            media_type="application/problem+json",
            generate_examples=False,
        )
        for code, text in descriptions.items()
    }
