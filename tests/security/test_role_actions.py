"""Each role does only what its role allows: the table in docs/security.md, the code, and the endpoints agree.

A refused action answers 403 before anything is written: no audit row, no domain event, no change.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from router.core.models import AuditRecord, DomainEvent, Interaction, Lead
from router.privacy.access import ACTIONS, ROLE_ACTIONS, ROLE_NAMES
from tests.factories import open_staff_session
from tests.security.conftest import World

SECURITY_DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"

LEAD_ACTION_REQUESTS = {
    "lead.claim": ("/board/leads/{lead}/claim", {}),
    "lead.release": ("/board/leads/{lead}/release", {}),
    "lead.log_attempt": ("/board/leads/{lead}/attempt", {"outcome": "no_answer"}),
    "lead.log_contact": ("/board/leads/{lead}/contact", {"channel": "phone"}),
    "lead.close": ("/board/leads/{lead}/close", {"reason": "spam"}),
    "lead.reassign": ("/board/leads/{lead}/reassign", {"user_id": "{someone}"}),
    "lead.add_by_hand": (
        "/board/leads",
        {
            "kind": "walk_in",
            "location_id": "{location}",
            "first_name": "Walt",
            "phone": "5125550142",
            "nonce": "n1",
        },
    ),
    "lead.text": ("/phone/leads/{lead}/sms", {"body": "Hello from the practice"}),
    "lead.call": ("/phone/leads/{lead}/call", {}),
    "overflow.work": ("/overflow/console/leads/{lead}/claim", {}),
}
"""One real endpoint per lead action (the overflow console's claim stands for its other actions)."""

LEAD_OF_ROLE = {
    "front_desk": "downtown",
    "manager": "downtown",
    "practice_admin": "lakeway",
    "other_practice_admin": "north",
    "overflow_agent": "overflow",
    "physician": "referral",
    "physician_office": "referral",
    "other_physician": "other_referral",
    "platform_operator": "downtown",
}
"""A lead each person can see (the operator: one they cannot), so a refusal is the role's, not the scope's."""


def _documented_table() -> dict[str, set[str]]:
    """docs/security.md's role table: one row per action, one column per role, "yes" where allowed."""
    lines = SECURITY_DOC.read_text().splitlines()
    lines = [line for line in lines[lines.index(next(x for x in lines if x.startswith("| Action |"))) :]]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    roles = {name: code for code, name in ROLE_NAMES.items()}
    table: dict[str, set[str]] = {roles[name]: set() for name in header[1:]}
    words = {words: code for code, words in ACTIONS.items()}
    for line in lines[2:]:
        if not line.startswith("| "):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] not in words:
            break
        for name, cell in zip(header[1:], cells[1:], strict=True):
            if cell == "yes":
                table[roles[name]].add(words[cells[0]])
    return table


@pytest.mark.unit
def test_the_documented_role_table_is_the_one_the_code_enforces():
    assert _documented_table() == {role: set(actions) for role, actions in ROLE_ACTIONS.items()}


async def _written(domain) -> tuple[int, int, int, tuple]:
    async with domain.sessionmaker() as session:
        leads = tuple(
            (
                await session.execute(
                    select(Lead.id, Lead.status, Lead.claimed_by_user_id, Lead.first_contact_at)
                )
            ).all()
        )
        return (
            await session.scalar(select(func.count(AuditRecord.id)).where(AuditRecord.action != "lead.read")),
            await session.scalar(select(func.count(DomainEvent.id))),
            await session.scalar(select(func.count(Interaction.id))),
            tuple(sorted(leads, key=str)),
        )


@pytest.mark.integration
async def test_every_role_is_refused_exactly_the_actions_its_role_does_not_allow(
    client, domain, world: World
):
    someone = str(world.people["front_desk"].id)
    async with domain.sessionmaker() as session:
        location_of = dict((await session.execute(select(Lead.id, Lead.location_id))).all())
    for role, person in world.people.items():
        role_code = role if role in ROLE_ACTIONS else role.removeprefix("other_")
        client.cookies.clear()
        client.cookies.set("lr_session", await open_staff_session(domain, person))
        page = await client.get("/break-glass")
        csrf = {"x-csrftoken": re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)}
        lead = str(world.leads[LEAD_OF_ROLE[role]])
        location = str(location_of[world.leads[LEAD_OF_ROLE[role]]])
        for action, (path, form) in LEAD_ACTION_REQUESTS.items():
            url = path.format(lead=lead)
            data = {key: value.format(someone=someone, location=location) for key, value in form.items()}
            data["nonce"] = uuid.uuid4().hex
            before = await _written(domain)
            answer = await client.post(url, data=data, headers=csrf)
            allowed = action in ROLE_ACTIONS[role_code]
            if allowed:
                assert answer.status_code != 403, (role, action, answer.text)
            else:
                assert answer.status_code == 403, (role, action, answer.status_code, answer.text)
                assert await _written(domain) == before, (role, action, "wrote something before refusing")
