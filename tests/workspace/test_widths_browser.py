"""No page scrolls sideways: every page of the app's route table, for every role that may open it, at
390 px and 1440 px wide. The pages come from the route table, so a new page cannot escape the check."""

from __future__ import annotations

import os
import re
from typing import Any

import httpx
import pytest
from litestar.routes import HTTPRoute
from sqlalchemy import select

from router.chat.sources import create_chat_source
from router.core.models import FormSource
from router.leads import actions
from router.phones.inbound_texts import receive_text
from router.privacy.audit import Actor
from router.privacy.auth import create_user
from tests.factories import open_staff_session, viewer_of
from tests.fixtures.browser import DESK, PHONE, SCREENSHOTS
from tests.phones.helpers import CALLER, TRACKING, form_lead, new_sid, phone_practice
from tests.workspace.support import overflow_agent, overflowed_lead

pytestmark = [pytest.mark.browser, pytest.mark.integration]

NOT_PAGES = {
    "/healthz": "liveness, JSON",
    "/readyz": "readiness, JSON",
    "/t.js": "the tracking script",
    "/static/{file_path:path}": "static files",
    "/login/second-factor": "needs a sign-in in progress (tests/test_auth.py covers it)",
    "/password/reset/{token:str}": "needs a one-time token (tests/test_auth.py covers it)",
    "/account/set-password/{token:str}": "needs a one-time token (tests/admin covers it)",
    "/models/versions/{version:str}": "needs a trained model (tests/models covers the page)",
    "/referrals/files/{file_id:uuid}": "a referral's attached file, not a page",
    "/n/u/{token:str}": "a patient's signed unsubscribe link (tests/nurture covers the page at both widths)",
    "/n/c/{token:str}": "a patient's click-through: a redirect",
    "/n/o/{token:str}": "the open pixel: an image",
    "/nurture/sequences/{sequence_id:uuid}": "needs a sequence (tests/nurture covers it at both widths)",
    "/nurture/templates/{template_id:uuid}": "needs a message's wording (tests/nurture covers it)",
    "/funnel/leads": "needs a stage to list (tests/funnel covers it at both widths)",
}
"""GET routes that are not pages a signed-in person opens here, with why."""
WIDEST = """() => {
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    const innermost = el.children.length === 0;
    if (box.right > window.innerWidth + 1 && innermost) wide.push(el.tagName + "." + el.className);
  }
  return wide.slice(0, 5);
}"""
"""The innermost elements reaching past the window's right edge: where to look when a page is too wide."""


def _page_paths(app: Any) -> list[str]:
    paths = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "GET" not in route.methods:
            continue
        path = route.path
        if path in NOT_PAGES or path.startswith(("/schema", "/webhooks/", "/collect/", "/api/")):
            continue
        if path.endswith((".csv", ".svg", "/recording", "/unread")):
            continue  # files, audio and the navigation's count: not pages
        paths.append(path)
    return sorted(paths)


async def _world(domain: Any) -> tuple[dict[str, Any], dict[str, str]]:
    practice = await phone_practice(
        domain,
        staff={
            "desk@bright.example": {"name": "Dana Desk"},
            "boss@bright.example": {"name": "Mara Manager", "role": "manager"},
            "admin@bright.example": {"name": "Ada Admin", "role": "practice_admin"},
        },
    )
    lead_id = await form_lead(domain, practice, phone=CALLER, message="A long message " * 30)
    desk = await viewer_of(domain, practice.staff["desk@bright.example"])
    actor = Actor("user", str(desk.user_id))
    await actions.log_contact_made(
        domain, desk, lead_id, channel="phone", note="Wants a Tuesday " * 20, actor=actor
    )
    await receive_text(
        domain, message_sid=new_sid("SM"), sender=CALLER, to=TRACKING, body="See you " * 40, ip=None
    )
    overflow_id = await overflowed_lead(domain, practice, phone="+15125550144", email="o@example.com")
    async with domain.sessionmaker() as session, session.begin():
        physician = await create_user(
            session,
            email="dr@clinic.example",
            display_name="Dr. Reyes",
            password="correct horse battery",
            role="physician",
        )
        operator = await create_user(
            session,
            email="ops@leadrouter.example",
            display_name="Ops",
            password="correct horse battery",
            role="platform_operator",
        )
        source_id = await session.scalar(
            select(FormSource.id).where(FormSource.practice_id == practice.practice.id)
        )
        chat = await create_chat_source(
            session,
            domain,
            practice_id=practice.practice.id,
            key="bright-chat",
            kind="chatwoot",
            name="Website chat",
            signing_secret="chat-secret",
        )
    people = {
        "front_desk": practice.staff["desk@bright.example"],
        "manager": practice.staff["boss@bright.example"],
        "practice_admin": practice.staff["admin@bright.example"],
        "overflow_agent": await overflow_agent(domain, practice),
        "physician": physician,
        "platform_operator": operator,
    }
    ids = {
        "lead_id": str(lead_id),
        "overflow_lead_id": str(overflow_id),
        "location_id": str(practice.locations["downtown"].id),
        "user_id": str(practice.staff["desk@bright.example"].id),
        "source_id": str(source_id),
        "chat_source_id": str(chat.source_id),
    }
    return people, ids


def _concrete(path: str, role: str, ids: dict[str, str]) -> str:
    lead = ids["overflow_lead_id"] if role == "overflow_agent" else ids["lead_id"]
    values = {**ids, "lead_id": lead}
    return re.sub(r"\{(\w+):[^}]+\}", lambda m: values[m.group(1)], path)


async def test_no_page_scrolls_sideways_for_any_role_at_390_or_1440(chromium, live_server, domain):
    people, ids = await _world(domain)
    paths = _page_paths(live_server.app)
    only = os.environ.get("LEADROUTER_WIDTH_PATHS")  # while fixing one page: a prefix, e.g. /admin/phones
    paths = [path for path in paths if path.startswith(only)] if only else paths
    measured: dict[str, set[str]] = {path: set() for path in paths}
    too_wide = []
    save = os.environ.get("LEADROUTER_SCREENSHOTS") == "1"
    for role, person in people.items():
        token = await open_staff_session(domain, person)
        own = await _pages_of(live_server.url, token, [_concrete(path, role, ids) for path in paths])
        for path in (path for path in paths if _concrete(path, role, ids) in own):
            measured[path].add(role)
        for viewport in (PHONE, DESK):
            context = await chromium.new_context(viewport=viewport)
            await context.add_cookies([{"name": "lr_session", "value": token, "url": live_server.url}])
            page = await context.new_page()
            for path in (path for path in paths if _concrete(path, role, ids) in own):
                await page.goto(live_server.url + _concrete(path, role, ids))
                width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                if width[0] > width[1]:
                    too_wide.append((path, role, viewport["width"], width, await page.evaluate(WIDEST)))
                if save:
                    name = f"{role}{path.replace('/', '_').replace(':', '-')}-{viewport['width']}.png"
                    await page.screenshot(path=str(SCREENSHOTS / re.sub(r"[{}]", "", name)), full_page=True)
            await context.close()
    assert too_wide == [], "\n".join(map(str, too_wide))
    unseen = sorted(path for path, roles in measured.items() if not roles and not _fragment(path))
    assert unseen == [], f"pages no role could open here: give them data or say why in NOT_PAGES: {unseen}"


async def _pages_of(base_url: str, token: str, urls: list[str]) -> set[str]:
    """The URLs that answer this person with a whole page (not a refusal, a redirect to one, or a
    fragment): asked over plain HTTP first, so the browser opens only the pages it will measure."""
    pages = set()
    async with httpx.AsyncClient(base_url=base_url, cookies={"lr_session": token}) as http:
        for url in urls:
            answer = await http.get(url, follow_redirects=True)
            if answer.status_code == 200 and answer.text.lstrip()[:15].lower() == "<!doctype html>":
                pages.add(url)
    return pages


def _fragment(path: str) -> bool:
    """htmx fragments (a panel, a list, a queue) are measured inside the pages that hold them."""
    fragments = ("/board/", "/overflow/console/", "/dashboard/panel", "/attribution/body")
    lead_parts = ("/live", "/more", "/chat", "/referral", "/referral-link", "/care")
    in_lead_page = path.startswith("/leads/{lead_id:uuid}/") and path.endswith(lead_parts)
    return path.startswith(fragments) or path in ("/inbox/list", "/referrals/list") or in_lead_page
