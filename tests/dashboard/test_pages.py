"""The dashboard and timeline pages: who may open them, what they show, and that reads are audited."""

import pytest
from sqlalchemy import select

from router.core.models import AuditRecord
from router.core.phi_columns import LEAD_FIRST_NAME
from tests.factories import PASSWORD

pytestmark = pytest.mark.integration


async def login(client, email: str) -> None:
    from tests.factories import sign_in

    await sign_in(client, client.domain, email, PASSWORD)


async def test_manager_dashboard_shows_figures_charts_and_named_breach_links(client, domain, history):
    await login(client, "boss@bright.example")
    page = await client.get("/dashboard?since=2026-02-03&until=2026-03-04")
    assert page.status_code == 200
    html = page.text
    assert "60.0 %" in html and "42.9 %" in html  # today and these 30 days (see test_figures)
    assert f'<a href="/leads/{history.leads["L4"].id}">Ana Lopez</a>' in html  # the breach names its lead
    assert "<svg" in html and 'hx-trigger="every 15s"' in html
    assert "CST" in html and "UTC" not in html  # the practice's times, its zone stated
    # The names shown are audited once per hour per lead, not on every 15-second refresh.
    await client.get("/dashboard/panel?since=2026-02-03&until=2026-03-04")
    async with domain.sessionmaker() as session:
        reads = (
            await session.scalars(
                select(AuditRecord.lead_id).where(
                    AuditRecord.action == "lead.read", AuditRecord.details["via"].astext == "dashboard"
                )
            )
        ).all()
    assert sorted(map(str, reads)) == sorted(str(history.leads[n].id) for n in ("L2", "L4", "L8", "L9"))


async def test_the_default_period_is_the_last_7_days_and_a_bad_one_says_so(client, domain, history):
    await login(client, "boss@bright.example")
    html = (await client.get("/dashboard")).text
    assert 'name="since" value="2026-02-26"' in html and 'name="until" value="2026-03-04"' in html
    assert "50.0 %" in html  # last 7 days (see test_figures)
    wrong = (await client.get("/dashboard?since=2026-03-04&until=2026-03-01")).text
    assert "The period ends before it starts; showing the last 7 days." in wrong


async def test_an_office_filter_narrows_every_figure(client, domain, history):
    await login(client, "boss@bright.example")
    uptown = history.fixture.locations["uptown"].id
    html = (await client.get(f"/dashboard?location={uptown}")).text
    assert "100.0 %" in html  # today at Uptown: L7 met (1 of 1)
    assert f'href="/leads/{history.leads["L4"].id}"' not in html


async def test_csv_exports_escape_formulas_and_audit_every_named_lead(client, domain, history):
    from router.core.models import Lead

    async with domain.sessionmaker() as session, session.begin():
        lead = await session.get(Lead, history.leads["L4"].id)
        lead.first_name_enc = domain.cipher.seal(
            '=HYPERLINK("http://x")', column=LEAD_FIRST_NAME, row_id=lead.id
        )
    await login(client, "boss@bright.example")
    answer = await client.get("/dashboard/export.csv?kind=breaches&since=2026-03-04&until=2026-03-04")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.strip().splitlines()
    assert lines[0].startswith("lead id,name,office,source,arrived")
    assert len(lines) == 3  # L2 and L4
    assert "'=HYPERLINK" in answer.text and ",=HYPERLINK" not in answer.text
    every = await client.get("/dashboard/export.csv?kind=leads&since=2026-03-04&until=2026-03-04")
    assert len(every.text.strip().splitlines()) == 8  # L1..L7
    row = next(line for line in every.text.splitlines() if str(history.leads["L7"].id) in line)
    assert ",3780,180,yes,Dana,call," in row  # 63 min from arrival, 3 business minutes
    async with domain.sessionmaker() as session:
        vias = (
            await session.scalars(
                select(AuditRecord.details["via"].astext).where(AuditRecord.action == "lead.read")
            )
        ).all()
    assert vias.count("export:breaches") == 2 and vias.count("export:leads") == 7


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
        "Ana Lopez" in page.text and "Managers alerted" in page.text and "Web form · Google Ads" in page.text
    )
    assert "google_ads" not in page.text  # words, not codes
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
