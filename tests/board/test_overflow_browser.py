"""The overflow agents' console is live: an escalated lead appears without reload, pushed by the hub."""

import uuid
from datetime import timedelta

import pytest

from router.core.clock import FrozenClock
from router.core.models import CallCenter, CallCenterPractice
from router.leads.escalation import escalate_lead
from router.privacy.auth import create_user
from tests.board.helpers import (
    browser,  # noqa: F401 - the module's shared browser
    post_inquiry,
)
from tests.factories import make_practice, open_staff_session

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
async def agent_and_practice(domain):
    practice = await make_practice(domain, staff={"ana@bright.example": {"name": "Ana"}})
    async with domain.sessionmaker() as session, session.begin():
        center = CallCenter(id=uuid.uuid4(), slug="overflow-test", name="Overflow", phone="+15125550150")
        session.add(center)
        await session.flush([center])
        session.add(CallCenterPractice(call_center_id=center.id, practice_id=practice.practice.id))
        agent = await create_user(
            session,
            email="hana@overflow.example",
            display_name="Hana",
            password="correct horse battery",
            role="overflow_agent",
            call_center_id=center.id,
        )
    return practice, await open_staff_session(domain, agent)


async def test_an_escalated_lead_appears_in_the_console_without_reload(
    browser,  # noqa: F811
    live_server,
    agent_and_practice,
    domain,
):
    practice, token = agent_and_practice
    context = await browser.new_context()
    await context.add_cookies([{"name": "lr_session", "value": token, "url": live_server.url}])
    page = await context.new_page()
    await page.goto(live_server.url + "/overflow")
    assert "Nothing waiting" in await page.inner_text("#overflow-queue")
    await page.evaluate("window.notReloaded = true")
    await page.wait_for_timeout(300)  # the console's socket is open
    lead_id = await post_inquiry(live_server.url, practice, first_name="Overflowing")
    domain.clock = FrozenClock(domain.clock.now() + timedelta(minutes=10))  # past its deadline
    outcome = await escalate_lead(domain, uuid.UUID(lead_id), 1)
    assert outcome.escalated
    # The backstop poll is 30 s: seeing it within 5 s means the push refreshed the queue.
    row = await page.wait_for_selector(f"#overflow-{lead_id}", timeout=5000)
    assert "Overflowing" in await row.inner_text()
    assert await page.evaluate("window.notReloaded") is True
    await context.close()
