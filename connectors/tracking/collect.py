"""`GET /t.js` and `POST /collect/{site_key}`: the first-party journey script and where it posts visits.

The endpoint answers browsers on the practice's own website: CORS is granted to the site's listed
origins only, requests are counted per IP and per visitor id in fixed Redis windows (429
problem+json with Retry-After past the limit), malformed or personal-data-carrying visits get a 422
naming the field, and nothing but the cleaned visit is stored (see router.tracking).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from litestar import Request, Response, get, post, route
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException
from redis.asyncio import Redis

from connectors.openapi import problems
from connectors.tracking.ratelimit import FixedWindowLimiter, Limit
from router.core.domain import Domain
from router.core.models import TrackingSite
from router.marketing.tracking import InvalidVisit, clean_visit, load_tracking_site, record_page_visit

SCRIPT = (Path(__file__).parent / "t.js").read_bytes()
SCRIPT_CACHE_SECONDS = 3600
"""Browsers re-check the script hourly: a fix reaches every practice's visitors within the hour."""
MAX_VISIT_BYTES = 4096
"""A visit is a few hundred bytes of JSON; anything much larger is not from our script."""
PER_VISITOR = Limit(requests=60, window_seconds=60)
"""A person reads a few pages a minute; sixty is a bot or a loop, not a patient."""
PER_IP = Limit(requests=600, window_seconds=60)
"""Generous: a clinic, school or mobile carrier puts many visitors behind one address."""
PREFLIGHT_CACHE_SECONDS = 86400
"""Browsers may reuse a preflight answer for a day (most cap it lower anyway)."""


def _cors(origin: str | None) -> dict[str, str]:
    if not origin:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": str(PREFLIGHT_CACHE_SECONDS),
        "Vary": "Origin",
    }


def _problem(
    status: int, title: str, detail: str, origin: str | None, **extra: Any
) -> ProblemDetailsException:
    headers = _cors(origin) | {key: str(value) for key, value in extra.pop("headers", {}).items()}
    return ProblemDetailsException(
        status_code=status, title=title, detail=detail, headers=headers, extra=extra
    )


@get("/t.js", summary="The first-party journey script", include_in_schema=False)
async def script() -> Response[bytes]:
    return Response(
        SCRIPT,
        media_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": f"public, max-age={SCRIPT_CACHE_SECONDS}"},
    )


@route("/collect/{site_key:str}", http_method=["OPTIONS"], include_in_schema=False)
async def preflight(
    request: Request[Any, Any, Any], site_key: FromPath[str], domain: NamedDependency[Domain]
) -> Response[None]:
    _, origin = await _site_and_origin(request, site_key, domain)
    return Response(None, status_code=204, headers=_cors(origin))


@post(
    "/collect/{site_key:str}",
    summary="Record a page visit from the practice's website",
    tags=["tracking"],
    description=(
        "JSON (sent as text/plain or application/json): visitor_id, visit_id, url, referrer, and "
        "optional utm_source, utm_medium, utm_campaign, utm_term, utm_content, gclid, fbclid. 204: "
        "stored; 403: origin not allowed for this site; 404: unknown site key; 422: bad or personal "
        "data (problem+json naming the fields); 429: too many requests (Retry-After)."
    ),
    status_code=204,
    opt={"exclude_from_csrf": True},
    responses=problems(
        s403="the Origin is not one of this site's",
        s404="no tracking site with this key",
        s413="the visit is larger than the limit",
        s422="a bad field or personal data in the visit, each named in `errors`; nothing was stored",
        s429="too many visits from this address or visitor; see Retry-After",
    ),
)
async def collect(
    request: Request[Any, Any, Any],
    site_key: FromPath[str],
    domain: NamedDependency[Domain],
    redis: NamedDependency[Redis],
) -> Response[None]:
    limiter = FixedWindowLimiter(redis, f"{domain.settings.redis.prefix}:collect")
    now = domain.clock.now().timestamp()
    client = request.client.host if request.client else "unknown"
    verdict = await limiter.hit(f"ip:{client}", PER_IP, now=now)
    if not verdict.allowed:
        raise _too_many(verdict.retry_after, None)
    site, origin = await _site_and_origin(request, site_key, domain)
    raw = await request.body()
    if len(raw) > MAX_VISIT_BYTES:
        raise _problem(413, "Visit too large", f"at most {MAX_VISIT_BYTES} bytes", origin)
    try:
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        visit = clean_visit(body)
    except InvalidVisit as exc:
        errors = [{"field": p.field, "message": p.message} for p in exc.problems]
        raise _problem(422, "Invalid visit", "nothing was stored", origin, errors=errors) from exc
    except (ValueError, RecursionError) as exc:
        raise _problem(422, "Unreadable visit", f"the body is not a JSON object: {exc}", origin) from exc
    verdict = await limiter.hit(f"visitor:{site_key}:{visit.visitor_id}", PER_VISITOR, now=now)
    if not verdict.allowed:
        raise _too_many(verdict.retry_after, origin)
    async with domain.transaction() as session:
        await record_page_visit(session, site, visit, now=domain.clock.now())
    return Response(None, status_code=204, headers=_cors(origin))


async def _site_and_origin(
    request: Request[Any, Any, Any], site_key: str, domain: Domain
) -> tuple[TrackingSite, str]:
    """The site and the request's Origin when the site lists it; 404 unknown site, 403 other origin."""
    async with domain.sessionmaker() as session:
        site = await load_tracking_site(session, site_key)
    if site is None:
        raise NotFoundException(detail=f"no tracking site {site_key!r}")
    origin = (request.headers.get("origin") or "").rstrip("/").lower()
    if origin not in site.origins:
        raise _problem(403, "Origin not allowed", f"{origin or 'no Origin header'} is not this site's", None)
    return site, origin


def _too_many(retry_after: int, origin: str | None) -> ProblemDetailsException:
    return _problem(
        429,
        "Too many requests",
        f"slow down; retry after {retry_after} s",
        origin,
        headers={"Retry-After": retry_after},
    )


TRACKING_HANDLERS = [script, preflight, collect]
"""Mounted by the composition root. Plain handlers, not a Controller: Litestar 2.25 replaces a
Controller's own OPTIONS handler with its generated one, and the preflight must answer CORS."""
