"""Errors as RFC 9457 problem+json: bad fields named, outages as 503 with Retry-After, bugs logged once.

Every request carries an id (the caller's `X-Request-ID` when it sends a sane one, else a new one),
echoed on the response and written on every log line about a failure, so a sender's report, our
answer and our log meet. Logs of failures never carry PHI: no exception messages (a driver's message
may quote a value), only the exception types and where they were raised.
"""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from contextvars import ContextVar
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from litestar.response import Template
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeout

from router.core.db_errors import NothingWritten, WriteOutcomeUnknown, is_unavailable, sqlstate
from router.core.errors import ActionRefused, InvalidFields
from router.intake.normalize import InvalidInquiry

log = logging.getLogger("leadrouter.web")

DATABASE_RETRY_AFTER_SECONDS = 5
"""A failover or restart of PostgreSQL takes seconds; senders should come back soon, not hammer us."""

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
"""A caller's id is kept only if it cannot forge log lines or bloat them."""
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request being served (None outside a request)."""


def with_request_ids(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: give each request an id, echo it on the response, expose it to handlers."""
    header = REQUEST_ID_HEADER.lower().encode()

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        given = next((value for name, value in scope["headers"] if name == header), b"").decode("latin-1")
        current = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(current)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (header, current.encode())]
                message = {**message, "headers": headers}  # type: ignore[typeddict-item]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)

    return middleware


def invalid_inquiry(exc: InvalidInquiry) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=422,
        title="Invalid inquiry",
        detail=f"{len(exc.errors)} field(s) are invalid; nothing was stored",
        extra={"errors": [{"field": e.field, "message": e.message} for e in exc.errors]},
    )


def _kinds(exc: BaseException) -> str:
    """The exception's type and SQLSTATE and those of its causes, e.g. `DBAPIError<-DeadlockDetected...`."""
    names = []
    current: BaseException | None = exc
    while current is not None and len(names) < 5:
        names.append(type(current).__name__)
        current = current.__cause__ or current.__context__
    state = sqlstate(exc)
    return "<-".join(names) + (f" (SQLSTATE {state})" if state else "")


def _where(exc: BaseException) -> str:
    """Our frames the exception passed through and the library frame that raised it, without its
    message (which may quote PHI)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [frame for frame in frames[:-1] if "site-packages" not in frame.filename]
    return "\n".join(f"  {f.filename}:{f.lineno} in {f.name}" for f in [*ours[-12:], *frames[-1:]])


def _unavailable_detail(exc: BaseException) -> str:
    if isinstance(exc, WriteOutcomeUnknown):
        return (
            "The database connection broke while the inquiry was being stored: it may have been stored. "
            "Retry with the same webhook-id; a retry never stores it twice."
        )
    if isinstance(exc, NothingWritten):
        return "The database is unavailable; nothing was stored. Retry with the same webhook-id."
    return "The database is unavailable; please retry shortly."


def _service_unavailable(request: Request[Any, Any, Any], exc: Exception, detail: str) -> Response[Any]:
    log.warning(
        "503 for %s %s [request %s]: %s", request.method, request.url.path, request_id.get(), _kinds(exc)
    )
    return ProblemDetailsException(
        status_code=503,
        title="Service unavailable",
        detail=detail,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        extra={"request_id": request_id.get()},
    ).to_response(request)


def unhandled(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Outages become 503 with Retry-After; anything else is a 500, logged once with the request id."""
    if is_unavailable(exc):
        return _service_unavailable(request, exc, _unavailable_detail(exc))
    if isinstance(exc, RedisConnectionError | RedisTimeout):
        return _service_unavailable(
            request, exc, "A service we depend on is unavailable; please retry shortly."
        )
    log.error(
        "500 for %s %s [request %s]: %s\n%s",
        request.method,
        request.url.path,
        request_id.get(),
        _kinds(exc),
        _where(exc),
    )
    if wants_page(request):
        return error_page(500, "Something went wrong on our side. It has been logged; try again in a moment.")
    return ProblemDetailsException(
        status_code=500,
        title="Internal server error",
        detail="Something went wrong on our side and it has been logged; quote the request id to report it.",
        extra={"request_id": request_id.get()},
    ).to_response(request)


REFUSAL_TITLES = {403: "Not allowed", 404: "Not found", 422: "Invalid choice"}


def wants_page(request: Request[Any, Any, Any]) -> bool:
    """A person's browser asking for a page (not htmx, not the API), who should get HTML back."""
    if request.headers.get("hx-request") or request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


PAGE_TITLES = {403: "Not allowed", 404: "Page not found", 500: "Something went wrong"}


def error_page(status_code: int, message: str, title: str | None = None) -> Template:
    """The HTML error page: what happened, a link to the person's start page, and the request id."""
    context = {
        "title": title or PAGE_TITLES.get(status_code, "That did not work"),
        "message": message,
        "viewer": None,
        "request_id": request_id.get(),
        "status_code": status_code,
    }
    return Template("error.html", context=context, status_code=status_code)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own 404 (no such page) as a page for a browser, problem+json for everyone else."""
    if wants_page(request):
        return error_page(exc.status_code, "There is no page at this address. It may have moved.")
    return ProblemDetailsException(status_code=exc.status_code, detail=exc.detail).to_response(request)


def action_refused(request: Request[Any, Any, Any], exc: ActionRefused) -> Response[Any]:
    """A refused action: an error page for a browser's page load, problem+json for scripts and the API."""
    title = REFUSAL_TITLES.get(exc.status_code, "Conflict")
    if wants_page(request):
        return error_page(exc.status_code, str(exc), title)
    extra = None
    if isinstance(exc, InvalidFields):
        extra = {"errors": [{"field": name, "message": text} for name, text in exc.errors.items()]}
    return ProblemDetailsException(
        status_code=exc.status_code, title=title, detail=str(exc), extra=extra
    ).to_response(request)


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            enable_for_all_http_exceptions=True,
            exception_to_problem_detail_map={InvalidInquiry: invalid_inquiry},
        )
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ActionRefused: action_refused,
    NotFoundException: http_error,
    Exception: unhandled,
}
"""Refused actions answer in the person's words; HTTP errors are the problem-details plugin's; every
other exception ends in `unhandled`."""
