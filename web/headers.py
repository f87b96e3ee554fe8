"""Security headers on every answer: a script policy without inline code, no framing, no caching of PHI."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""Only our own files: no inline scripts or styles (htmx runs with allowEval off), nothing from a CDN."""
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
"""The pages use none of these; a script injected despite the policy cannot ask for them either."""
HSTS = "max-age=31536000; includeSubDomains"
"""A year: once a browser has seen the site over TLS it never falls back to plain HTTP."""
CACHEABLE_PREFIXES = ("/static/", "/t.js")
"""Answers without PHI that browsers may cache; everything else is `no-store` (pages, API, webhooks)."""


class SecurityHeaders:
    """ASGI middleware adding the headers to every HTTP answer (HSTS only when served over TLS)."""

    def __init__(self, app: ASGIApp, *, always_tls: bool = False) -> None:
        self.app = app
        self.always_tls = always_tls
        """True when the public address is https (a TLS proxy in front, the app itself on plain HTTP)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = self.always_tls or scope.get("scheme") == "https"
        cacheable = scope["path"].startswith(CACHEABLE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["Permissions-Policy"] = PERMISSIONS_POLICY
                headers["X-Frame-Options"] = "DENY"
                if tls:
                    headers["Strict-Transport-Security"] = HSTS
                if not cacheable:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
