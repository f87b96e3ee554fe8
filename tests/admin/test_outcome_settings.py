"""The matching thresholds and the outcome label's settings on the practice settings screen: shown in
plain words, saved and audited, refused beside the field when unusable, and used by the matcher."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from router.core.models import AuditRecord, Practice
from router.practices.settings import PracticeSettings
from router.practices.settings_admin import percent_text
from tests.admin.conftest import form_values, sign_in

pytestmark = pytest.mark.integration


async def test_the_matching_and_outcome_settings_are_saved_and_audited(client, domain, practices):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    page = await client.get("/admin/settings")
    assert "Link at once from (% sure)" in page.text and "Days for a first visit to count" in page.text
    form = form_values(page.text)
    assert (form["match_auto_link"], form["match_review"], form["outcome_window_days"]) == ("99", "50", "60")
    form |= {
        "match_auto_link": "99.5",
        "match_review": "70",
        "outcome_window_days": "90",
        "outcome_label_min_leads": "400",
    }
    saved = await client.post("/admin/settings", data=form, headers=csrf)
    assert saved.status_code == 303, saved.text
    async with domain.sessionmaker() as session:
        practice = await session.get(Practice, practices.bright.practice.id)
        record = await session.scalar(
            select(AuditRecord).where(AuditRecord.action == "practice.settings_changed")
        )
    settings = PracticeSettings.from_json(practice.settings)
    assert (settings.match_auto_link, settings.match_review) == (0.995, 0.7)
    assert (settings.outcome_window_days, settings.outcome_label_min_leads) == (90, 400)
    assert record.details["changes"] == {
        "settings.match_auto_link": [0.99, 0.995],
        "settings.match_review": [0.5, 0.7],
        "settings.outcome_window_days": [60, 90],
        "settings.outcome_label_min_leads": [200, 400],
    }
    again = form_values((await client.get("/admin/settings")).text)
    assert (again["match_auto_link"], again["match_review"]) == ("99.5", "70")


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"match_review": "99.5"}, "match_review", "must be at most the link-at-once level (99%)"),
        ({"match_auto_link": "sure"}, "match_auto_link", "Link at once from must be a percentage"),
        ({"match_auto_link": "40"}, "match_auto_link", "must be between 50 and 100 (percent)"),
        ({"match_auto_link": "nan"}, "match_auto_link", "Link at once from must be a percentage"),
        ({"match_review": "Infinity"}, "match_review", "must be a percentage"),
        ({"outcome_window_days": "3"}, "outcome_window_days", "must be between 7 and 730"),
        ({"outcome_label_min_leads": ""}, "outcome_label_min_leads", "Enter leads needed"),
    ],
)
async def test_an_unusable_value_is_refused_beside_its_field(
    client, domain, practices, changes, field, words
):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    form = form_values((await client.get("/admin/settings")).text) | changes
    answer = await client.post("/admin/settings", data=form, headers=csrf)
    assert answer.status_code == 422
    assert f'id="{field}-error"' in answer.text and words in answer.text
    async with domain.sessionmaker() as session:
        assert (await session.get(Practice, practices.bright.practice.id)).settings == {}


def test_percentages_read_as_typed():
    assert [percent_text(p) for p in (0.99, 0.995, 0.5, 1.0, 1)] == ["99", "99.5", "50", "100", "100"]
