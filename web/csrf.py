"""CSRF protection bound to the session: a signed-in form must carry its own session's token.

Signed in, every unsafe request (POST, PUT, PATCH, DELETE) must send the token stored with the
session (`user_sessions.csrf_token`, shown to pages as `csrf_token()` / `csrf_input`), in the
`X-CSRFToken` header or the `_csrf_token` field; a token planted in a cookie by a sibling site is
useless. Before signing in (the sign-in, second-factor and password-reset forms) Litestar's signed
double-submit cookie is checked instead, as before.
"""

from __future__ import annotations

from secrets import compare_digest
from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from router.core.domain import Domain
from web.sessions import SESSION_COOKIE, current_session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
HEADER = "x-csrftoken"
FIELD = "_csrf_token"


class SessionBoundCsrf:
    """ASGI middleware; `exempt` path prefixes authenticate by signature (webhooks) or need none."""

    def __init__(self, app: ASGIApp, *, domain: Domain, exempt: list[str]) -> None:
        self.app = app
        self.domain = domain
        self.exempt = tuple(exempt)
        security = domain.settings.security
        self.double_submit = CSRFMiddleware(
            app,
            CSRFConfig(
                secret=security.csrf_secret, cookie_secure=security.secure_cookies, cookie_samesite="strict"
            ),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope=scope, receive=receive)
        signed_in = (
            await current_session(request, self.domain) if request.cookies.get(SESSION_COOKIE) else None
        )
        if signed_in is None:
            await self.double_submit(scope, receive, send)  # not signed in: the cookie scheme
            return
        state = ScopeState.from_scope(scope)
        if request.method in SAFE_METHODS:
            state.csrf_token = signed_in.csrf_token
            await self.app(scope, receive, send)
            return
        submitted = request.headers.get(HEADER)
        if not submitted and request.content_type[0] in (
            RequestEncodingType.URL_ENCODED,
            RequestEncodingType.MULTI_PART,
        ):
            submitted = (await request.form()).get(FIELD)
        if not isinstance(submitted, str) or not compare_digest(submitted, signed_in.csrf_token):
            raise PermissionDeniedException("CSRF token verification failed (reload the page)")
        state.csrf_token = signed_in.csrf_token
        await self.app(scope, receive, send)
