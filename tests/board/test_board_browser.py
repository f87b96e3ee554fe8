"""The board in headless Debian Chromium (Playwright, no browser download), against the real app."""

# The tests request the shared `browser` fixture imported from the helpers by name.
# ruff: noqa: F811

import asyncio

import pytest

from router.core.events import latest_event_id
from router.leads import actions
from router.privacy.audit import Actor
from tests.board.helpers import (
    browser,  # noqa: F401 - the module's shared browser
    post_inquiry,
    until_true,
    watch_policy_violations,
)
from tests.factories import viewer_of

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def open_board(browser, live_server, token):
    context = await browser.new_context()
    await context.add_cookies([{"name": "lr_session", "value": token, "url": live_server.url}])
    page = await context.new_page()
    page.policy_violations = watch_policy_violations(page)
    await page.goto(live_server.url + "/")
    await page.wait_for_selector('#board-connection[data-state="live"]', timeout=5000)
    return context, page


async def test_a_webhook_lead_appears_without_reload_and_the_alert_plays(browser, live_server, two_desks):
    practice, tokens = two_desks
    context, page = await open_board(browser, live_server, tokens["ana"])
    await page.evaluate("window.notReloaded = true")
    await page.click("#sound-toggle")
    assert await page.get_attribute("#sound-toggle", "aria-pressed") == "true"
    await until_true(page, "window.leadrouterSoundPlays >= 1")  # the toggle's own chime
    plays = await page.evaluate("window.leadrouterSoundPlays")
    lead_id = await post_inquiry(live_server.url, practice, first_name="Webhook")
    row = await page.wait_for_selector(f"#lead-{lead_id}", timeout=5000)
    assert "Webhook Lopez" in await row.inner_text()
    await until_true(page, f"window.leadrouterSoundPlays > {plays}")
    assert await page.evaluate("window.notReloaded") is True
    assert page.policy_violations == []  # the board runs whole under the strict script policy
    await context.close()


async def test_two_staff_race_to_claim_and_exactly_one_wins(browser, live_server, two_desks, domain):
    practice, tokens = two_desks
    (ana_context, ana), (ben_context, ben) = await asyncio.gather(
        open_board(browser, live_server, tokens["ana"]), open_board(browser, live_server, tokens["ben"])
    )
    lead_id = await post_inquiry(live_server.url, practice)
    button = f"#lead-{lead_id} button.when-unclaimed"
    await asyncio.gather(ana.wait_for_selector(button), ben.wait_for_selector(button))
    # Both press at once. A click through Playwright waits for the button to be visible, and the
    # winner's push can hide it on the other board first; pressing from the page keeps the race real.
    press = f"document.querySelector('{button}').click()"
    await asyncio.gather(ana.evaluate(press), ben.evaluate(press))
    for page in (ana, ben):
        await page.wait_for_selector(f"#lead-{lead_id}.claimed", timeout=5000)
    mine = [await page.locator(f"#lead-{lead_id}.mine").count() for page in (ana, ben)]
    assert sorted(mine) == [0, 1]
    winner, loser = ("Ana Ruiz", ben) if mine[0] else ("Ben Cho", ana)
    assert f"Claimed by {winner}" in await loser.inner_text(f"#lead-{lead_id}")
    await ana_context.close()
    await ben_context.close()


async def test_a_board_whose_socket_is_cut_misses_nothing_after_it_reconnects(
    browser, live_server, two_desks, domain
):
    practice, tokens = two_desks
    context, page = await open_board(browser, live_server, tokens["ana"])
    await context.set_offline(True)
    await page.evaluate("window.leadrouterBoard.socket.close()")
    await page.wait_for_selector('#board-connection[data-state="down"]')
    first = await post_inquiry(live_server.url, practice, first_name="Missed")
    second = await post_inquiry(
        live_server.url, practice, first_name="Also", phone="(512) 555-0199", email="also@example.com"
    )
    ben = await viewer_of(domain, practice.staff["ben@bright.example"])
    await actions.claim_lead(domain, ben, first, actor=Actor("user", str(ben.user_id)))
    assert len(live_server.hub.boards) == 0  # the gap is real: no board is connected
    await context.set_offline(False)
    await page.wait_for_selector(f"#lead-{second}", timeout=15000)
    await page.wait_for_selector(f"#lead-{first}.claimed", timeout=5000)
    assert "Claimed by Ben Cho" in await page.inner_text(f"#lead-{first}")
    async with domain.sessionmaker() as session:
        position = await latest_event_id(session)
    await until_true(page, f"window.leadrouterBoard.lastEventId === {position}")
    assert await page.locator("#board-leads li.lead").count() == 2
    await context.close()


async def test_the_more_panel_loads_when_opened_and_keeps_what_was_typed_when_the_row_changes(
    browser, live_server, two_desks, domain
):
    practice, tokens = two_desks
    context, page = await open_board(browser, live_server, tokens["ana"])
    lead_id = await post_inquiry(live_server.url, practice, first_name="Panel")
    await page.wait_for_selector(f"#lead-{lead_id}", timeout=5000)
    await page.focus(f"#lead-{lead_id} details.more summary")
    await page.keyboard.press("Enter")  # opened from the keyboard, as a mouse click would
    note = f"#lead-{lead_id} textarea[name=note]"
    await page.wait_for_selector(note, timeout=5000)
    await page.fill(note, "asked for a call after 5")

    ben = await viewer_of(domain, practice.staff["ben@bright.example"])
    await actions.log_contact_attempt(
        domain, ben, lead_id, outcome="no_answer", actor=Actor("user", str(ben.user_id))
    )
    await until_true(page, f"document.querySelector('#lead-{lead_id}').textContent.includes('1 attempt')")
    assert await page.input_value(note) == "asked for a call after 5"
    await page.click(f"#lead-{lead_id} form[hx-post$='/contact'] button[type=submit]")
    await page.wait_for_selector(f"#lead-{lead_id}.contacted", timeout=5000)
    await context.close()
