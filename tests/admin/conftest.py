"""Administration fixtures: a practice with an admin, two managers and front desk; a second practice."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import PracticeFixture, make_practice, open_staff_session

TWO_OFFICES = {
    "downtown": {"zip": "78701", "latitude": 30.27, "longitude": -97.74},
    "lakeway": {"zip": "78734", "latitude": 30.36, "longitude": -97.98},
}


@dataclass
class Practices:
    bright: PracticeFixture
    other: PracticeFixture

    def user(self, email: str) -> Any:
        return {**self.bright.staff, **self.other.staff}[email]


@pytest.fixture
async def practices(domain: Any) -> Practices:
    bright = await make_practice(
        domain,
        locations=TWO_OFFICES,
        staff={
            "admin@bright.example": {"role": "practice_admin", "name": "Pat Admin"},
            "maya@bright.example": {"role": "manager", "name": "Maya", "locations": ["downtown"]},
            "lee@bright.example": {"role": "manager", "name": "Lee", "locations": ["lakeway"]},
            "ana@bright.example": {"name": "Ana Ruiz", "locations": ["downtown"]},
        },
    )
    other = await make_practice(
        domain,
        slug="other",
        staff={
            "admin@other.example": {"role": "practice_admin", "name": "Olga Admin"},
            "max@other.example": {"role": "manager", "name": "Max"},
        },
    )
    return Practices(bright, other)


async def sign_in(client: Any, domain: Any, user: Any) -> dict[str, str]:
    """Sign `user` in on the test client; returns the CSRF header for posts."""
    client.cookies.clear()
    client.cookies.set("lr_session", await open_staff_session(domain, user))
    page = await client.get("/break-glass")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    return {"x-csrftoken": token.group(1)}


def field_value(html: str, name: str) -> str:
    """The value an input of the page shows."""
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', html
    )
    assert found, name
    return found.group(1)


def form_values(html: str) -> dict[str, str]:
    """What the page's form would submit unchanged (text, hidden, time, checked boxes and radios, selects)."""
    values: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "_csrf_token":
            continue
        kind = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        value = (re.search(r'value="([^"]*)"', tag) or [None, ""])[1]
        if kind in ("checkbox", "radio"):
            if " checked" in tag:
                values[name.group(1)] = value
        elif kind not in ("file", "submit"):
            values[name.group(1)] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body) or re.search(
            r'<option value="([^"]*)"', body
        )
        values[name] = chosen.group(1) if chosen else ""
    return values
