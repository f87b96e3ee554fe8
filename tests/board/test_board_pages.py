import re

import pytest

from router.board.snapshot import ORDER_RULE
from router.core.models import Lead
from tests.board.helpers import new_lead, signed_in_page
from tests.factories import make_practice, open_staff_session

pytestmark = pytest.mark.integration


async def test_the_board_lists_open_leads_in_priority_order_with_its_resume_position(
    client, domain, two_desks
):
    practice, tokens = two_desks
    plain = await new_lead(domain, practice, first_name="Plain")
    page, _ = await signed_in_page(client, tokens["ana"])
    assert "Plain Lopez" in page.text and ORDER_RULE in page.text
    assert re.search(r'ws-connect="/board/ws\?after=(\d+)"', page.text).group(1) == "1"
    assert f'id="lead-{plain}"' in page.text and 'id="sound-toggle"' in page.text


async def test_claim_needs_the_csrf_token_and_a_lost_claim_names_the_holder(client, domain, two_desks):
    practice, tokens = two_desks
    lead_id = await new_lead(domain, practice)
    _, ana_headers = await signed_in_page(client, tokens["ana"])
    assert (await client.post(f"/board/leads/{lead_id}/claim")).status_code == 403
    assert (await client.post(f"/board/leads/{lead_id}/claim", headers=ana_headers)).status_code == 204
    _, ben_headers = await signed_in_page(client, tokens["ben"])
    lost = await client.post(f"/board/leads/{lead_id}/claim", headers=ben_headers)
    assert lost.status_code == 409 and lost.json()["detail"] == "Ana Ruiz has already claimed this lead."
    closed = await client.post(f"/board/leads/{lead_id}/close", data={"reason": "spam"}, headers=ben_headers)
    assert closed.status_code == 204
    bad = await client.post(
        f"/board/leads/{lead_id}/attempt", data={"outcome": "no_answer"}, headers=ben_headers
    )
    assert bad.status_code == 409 and "closed" in bad.json()["detail"]


async def test_the_more_panel_is_read_on_opening_and_offers_reassign_to_managers_only(client, domain):
    practice = await make_practice(
        domain,
        staff={
            "ana@bright.example": {"name": "Ana Ruiz"},
            "boss@bright.example": {"role": "manager", "name": "Bo Lee"},
        },
    )
    elsewhere = await make_practice(domain, slug="lakeside", staff={"eve@lake.example": {"name": "Eve"}})
    lead_id = await new_lead(domain, practice)
    foreign = await new_lead(domain, elsewhere)
    async with domain.sessionmaker() as session:
        assignee = (await session.get(Lead, lead_id)).assigned_user_id
    ana, boss = (practice.staff[f"{name}@bright.example"] for name in ("ana", "boss"))

    page, _ = await signed_in_page(client, await open_staff_session(domain, boss))
    assert f'hx-get="/board/leads/{lead_id}/more"' in page.text
    assert 'name="user_id"' not in page.text  # the row, pushed to every board, carries no staff list
    panel = await client.get(f"/board/leads/{lead_id}/more")
    assert panel.status_code == 200
    assert f'hx-post="/board/leads/{lead_id}/contact"' in panel.text
    reassign = panel.text[panel.text.index('name="user_id"') :]
    options = re.findall(r'<option value="([0-9a-f-]{36})"( selected)?>([^<]+)</option>', reassign)
    assert [name for _, _, name in options] == ["Ana Ruiz", "Bo Lee"]
    assert [value for value, selected, _ in options if selected] == [str(assignee)]
    assert (await client.get(f"/board/leads/{foreign}/more")).status_code == 404

    await signed_in_page(client, await open_staff_session(domain, ana))
    desk_panel = await client.get(f"/board/leads/{lead_id}/more")
    assert desk_panel.status_code == 200
    assert f'hx-post="/board/leads/{lead_id}/close"' in desk_panel.text
    assert "reassign" not in desk_panel.text
