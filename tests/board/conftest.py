"""Board test fixtures: two signed-in front-desk staff."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_practice, open_staff_session


@pytest.fixture
async def two_desks(domain: Any) -> tuple[Any, dict[str, str]]:
    """A practice with two staff, Ana and Ben, each signed in: (practice, their session tokens by name)."""
    practice = await make_practice(
        domain, staff={"ana@bright.example": {"name": "Ana Ruiz"}, "ben@bright.example": {"name": "Ben Cho"}}
    )
    tokens = {
        name: await open_staff_session(domain, practice.staff[f"{name}@bright.example"])
        for name in ("ana", "ben")
    }
    return practice, tokens
