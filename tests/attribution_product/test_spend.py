"""Spend imports: documented columns, bad rows reported by line, re-import replaces."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from router.core.models import AdSpend
from router.marketing.spend import SpendFileError, import_spend, read_spend_csv
from tests.factories import make_practice

EXPORT = """Date,Channel,Campaign,Spend,Impressions,Clicks
2026-03-01,Google Ads,brand-search,$120.50,"2,400",85
2026-03-01,facebook_ads,whitening-promo,40,9000,61
2026-03-02,Google Ads,brand-search,abc,100,3
2026-13-02,Google Ads,brand-search,10,100,3
2026-03-02,TikTok,spring,10,100,3
2026-03-02,Meta,whitening-promo,-5,100,3
2026-03-02,google,brand-search,99,1000
2026-03-02,direct_mail,,25,,
"""
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.mark.unit
def test_bad_rows_are_reported_by_line_and_good_rows_kept():
    parsed = read_spend_csv(EXPORT)
    assert [(problem.line, problem.reason.split(" ")[0]) for problem in parsed.problems] == [
        (4, "spend"),
        (5, "date"),
        (6, "unknown"),
        (7, "spend"),
        (8, "expected"),
    ]
    google = parsed.rows[(date(2026, 3, 1), "google_ads", "brand-search")]
    assert (google.spend, google.impressions, google.clicks) == (120.5, 2400, 85)
    assert parsed.rows[(date(2026, 3, 2), "direct_mail", "")].impressions is None


@pytest.mark.unit
def test_a_file_without_the_required_columns_is_refused():
    with pytest.raises(SpendFileError, match="line 1: missing column"):
        read_spend_csv("day,cost\n2026-03-01,5\n")


@pytest.mark.integration
async def test_importing_the_same_export_twice_replaces_and_never_duplicates(domain):
    practice = (await make_practice(domain)).practice
    async with domain.sessionmaker() as session, session.begin():
        written, problems = await import_spend(session, practice.id, EXPORT, now=NOW)
    assert (written, len(problems)) == (3, 5)
    corrected = EXPORT.replace("$120.50", "130")
    async with domain.sessionmaker() as session, session.begin():
        await import_spend(session, practice.id, corrected, now=NOW)
    async with domain.sessionmaker() as session:
        rows = (await session.scalars(select(AdSpend).order_by(AdSpend.day, AdSpend.channel))).all()
    assert len(rows) == 3
    assert [(row.channel, row.campaign, row.spend) for row in rows] == [
        ("facebook_ads", "whitening-promo", 40.0),
        ("google_ads", "brand-search", 130.0),
        ("direct_mail", "", 25.0),
    ]
