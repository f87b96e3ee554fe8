"""Searching leads, open and closed: exact phone and email through the blind indexes, whole names,
dates and status, only within the person's own offices; malformed input named beside its field."""

import re

import pytest

from router.leads import actions
from router.privacy.audit import Actor
from tests.board.helpers import TWO_OFFICES, new_lead, signed_in_page
from tests.factories import make_practice, open_staff_session, viewer_of

pytestmark = pytest.mark.integration


def listed(page):
    return set(re.findall(r'<li><a href="/leads/([0-9a-f-]{36})">', page.text))


async def test_search_finds_open_and_closed_leads_in_scope_and_says_what_was_searched(client, domain):
    practice = await make_practice(
        domain,
        locations=TWO_OFFICES,
        staff={"ana@bright.example": {"locations": ["downtown"], "name": "Ana Ruiz"}},
    )
    elsewhere = await make_practice(domain, slug="north")
    maria = await new_lead(domain, practice, location="downtown", first_name="Maria", phone="(512) 555-0161")
    closed = await new_lead(
        domain,
        practice,
        location="downtown",
        first_name="Maria",
        last_name="Chen",
        email="m.chen@example.com",
    )
    lakeway = await new_lead(domain, practice, location="lakeway", first_name="Maria", phone="(512) 555-0163")
    await new_lead(domain, elsewhere, first_name="Maria", phone="(512) 555-0164")
    ana = await viewer_of(domain, practice.staff["ana@bright.example"])
    await actions.close_lead(domain, ana, closed, reason="spam", actor=Actor("user", str(ana.user_id)))
    await signed_in_page(client, await open_staff_session(domain, practice.staff["ana@bright.example"]))

    by_name = await client.get("/board/search", params={"name": "maria"})
    assert by_name.status_code == 200 and listed(by_name) == {str(maria), str(closed)}  # not Lakeway's
    by_phone = await client.get("/board/search", params={"phone": "512.555.0161"})
    assert listed(by_phone) == {str(maria)}
    by_email = await client.get("/board/search", params={"email": "M.Chen@Example.com", "status": "closed"})
    assert listed(by_email) == {str(closed)} and "closed: Spam" in by_email.text
    assert listed(await client.get("/board/search", params={"phone": "(512) 555-0163"})) == set()
    assert str(lakeway) not in (await client.get("/board/search", params={"name": "Maria"})).text

    nothing = await client.get("/board/search", params={"name": "Zed", "status": "open"})
    assert "No lead matched name “Zed”, open leads." in nothing.text
    bad = await client.get("/board/search", params={"phone": "call me", "email": "not-an-email"})
    assert bad.status_code == 422
    assert 'id="phone-error"' in bad.text and "not a phone number we can search for" in bad.text
    assert 'id="email-error"' in bad.text and 'aria-invalid="true"' in bad.text
    assert listed(bad) == set()
