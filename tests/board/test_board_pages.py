import re

import pytest

from router.board import ORDER_RULE
from tests.board.helpers import new_lead

pytestmark = pytest.mark.integration


async def signed_in_page(client, token):
    client.cookies.clear()
    client.cookies.set("lr_session", token)
    page = await client.get("/")
    assert page.status_code == 200, page.text
    csrf = re.search(r'"x-csrftoken": "([^"]+)"', page.text).group(1)
    return page, {"x-csrftoken": csrf}


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
