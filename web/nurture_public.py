"""The links in patient messages: unsubscribe (RFC 8058 one-click and a page), click-through, open pixel.

Nobody signs in here; each link is signed for one message. A bad or expired unsubscribe link shows a
plain page where the person can still opt out by typing their address.
"""

from __future__ import annotations

import base64
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from router.core.domain import Domain
from router.nurture.links import BadToken
from router.nurture.responses import (
    follow_click,
    message_practice,
    record_open,
    unsubscribe,
    unsubscribe_address,
)

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
"""A transparent 1x1 GIF."""


def _page(status_code: int = 200, **context: Any) -> Template:
    defaults = {"state": "ask", "practice": None, "token": None, "errors": {}, "values": {}, "expired": False}
    return Template("nurture/unsubscribe.html", context={**defaults, **context}, status_code=status_code)


def _bad_link(exc: BadToken) -> Template:
    return _page(400, state="bad_link", expired=exc.expired)


@get("/n/u/{token:str}", include_in_schema=False)
async def unsubscribe_page(domain: NamedDependency[Domain], token: FromPath[str]) -> Template:
    """Asks before opting out: mail scanners follow GET links, so only a POST unsubscribes."""
    try:
        practice = await message_practice(domain, token)
    except BadToken as exc:
        return _bad_link(exc)
    return _page(practice=practice, token=token)


@post("/n/u/{token:str}", include_in_schema=False, status_code=200)
async def unsubscribe_post(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], token: FromPath[str]
) -> Template:
    """The one-click POST a mail app sends (`List-Unsubscribe=One-Click`), or the page's button."""
    form = await request.form()
    source = "one_click" if form.get("List-Unsubscribe") == "One-Click" else "unsubscribe_page"
    try:
        done = await unsubscribe(domain, token, source=source)
    except BadToken as exc:
        return _bad_link(exc)
    return _page(state="done", practice=done.practice_name)


@post("/n/u", include_in_schema=False, status_code=200)
async def unsubscribe_by_address(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template:
    """Behind a bad link: the typed address is opted out of every practice's emails that have it."""
    form = await request.form()
    typed = str(form.get("email") or "")
    if not await unsubscribe_address(domain, typed):
        return _page(
            422,
            state="bad_link",
            values={"email": typed},
            errors={"email": "Enter your email address, like name@example.com."},
        )
    return _page(state="done_everywhere")


@get("/n/c/{token:str}", include_in_schema=False)
async def click_through(domain: NamedDependency[Domain], token: FromPath[str]) -> Redirect | Template:
    """Count the click, then go on to the practice's scheduling page."""
    target = await follow_click(domain, token)
    if target is None:
        return Template(
            "error.html",
            context={"title": "This link does not work", "message": "Please call the practice to book."},
            status_code=404,
        )
    return Redirect(target, status_code=303)


@get("/n/o/{token:str}", include_in_schema=False)
async def open_pixel(domain: NamedDependency[Domain], token: FromPath[str]) -> Response[bytes]:
    """The open pixel: always a GIF, whatever the token (a broken image helps nobody)."""
    await record_open(domain, token.removesuffix(".gif"))
    return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


NURTURE_PUBLIC_HANDLERS = [
    unsubscribe_page,
    unsubscribe_post,
    unsubscribe_by_address,
    click_through,
    open_pixel,
]
