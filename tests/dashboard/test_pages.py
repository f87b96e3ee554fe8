"""The dashboard and timeline pages: who may open them, what they show, and that reads are audited."""

import pytest
from sqlalchemy import select

from router.core.models import AuditRecord
from tests.factories import PASSWORD

pytestmark = pytest.mark.integration


async def login(client, email: str) -> None:
    from tests.factories import sign_in

    await sign_in(client, client.domain, email, PASSWORD)


async def test_manager_dashboard_shows_figures_charts_and_breach_links_without_phi(client, domain, history):
    await login(client, "boss@bright.example")
    page = await client.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    assert "60.0 %" in html and "42.9 %" in html  # today and 30 days (see test_figures)
    assert f'href="/leads/{history.leads["L4"].id}"' in html
    assert "<svg" in html and 'hx-trigger="every 15s"' in html
    assert "Ana" not in html and "Lopez" not in html


async def test_the_panel_fragment_is_the_polled_part(client, domain, history):
    await login(client, "boss@bright.example")
    fragment = await client.get("/dashboard/panel?days=7")
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="dashboard-panel"') and "<html" not in fragment.text


async def test_front_desk_may_not_open_the_dashboard(client, domain, history):
    assert (await client.get("/dashboard", follow_redirects=False)).status_code in (302, 303)
    await login(client, "dana@bright.example")
    assert (await client.get("/dashboard")).status_code == 403


async def test_timeline_lists_the_leads_history_and_audits_the_read(client, domain, history):
    lead = history.leads["L4"]
    await login(client, "boss@bright.example")
    page = await client.get(f"/leads/{lead.id}")
    assert page.status_code == 200
    assert (
        "Ana Lopez" in page.text
        and "escalated to level 1" in page.text
        and "form via google_ads" in page.text
    )
    async with domain.sessionmaker() as session:
        reads = (
            await session.scalars(
                select(AuditRecord).where(AuditRecord.lead_id == lead.id, AuditRecord.action == "lead.read")
            )
        ).all()
    assert [r.details for r in reads] == [{"via": "detail"}]


async def test_timeline_outside_the_managers_locations_is_not_found(client, domain, history):
    await login(client, "downtown.boss@bright.example")
    assert (await client.get(f"/leads/{history.leads['L7'].id}")).status_code == 404
    assert (await client.get(f"/leads/{history.leads['L1'].id}")).status_code == 200
