"""Landing pages and referrers keep no personal data, for web visits and form inquiries alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from router.core.models import ConsentRecord, Touchpoint
from router.intake.normalize import normalize_inquiry
from router.intake.urls import PersonalDataInUrl, carries_personal_data, clean_landing_page, clean_referrer
from tests.factories import inquiry, make_practice, signed

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


@pytest.mark.unit
@pytest.mark.parametrize(
    "path",
    [
        "/thanks/ana.lopez@example.com",
        "/thanks/ana.lopez%40example.com",
        "/thanks/ana.lopez%2540example.com",  # encoded twice
        "/thanks/ana_lopez@example_mail.com",
        "/call/512-867-5309",
        "/call/512_867_5309",
        "/call/(512)%20867-5309",
        "/ref/5128675309",
        "/member/88812345",  # a bare digit run: a member or record number
    ],
)
def test_paths_carrying_an_email_phone_or_digit_run_are_refused(path):
    with pytest.raises(PersonalDataInUrl):
        clean_landing_page(f"https://brightsmile.example{path}?utm_source=google")


@pytest.mark.unit
def test_a_landing_page_keeps_scheme_host_path_and_ad_parameters_only():
    cleaned = clean_landing_page(
        "https://brightsmile.example/implants/2026/03?utm_source=google&gclid=Cj0x&email=a%40b.com&q=teeth"
    )
    assert cleaned.url == "https://brightsmile.example/implants/2026/03"
    assert cleaned.ad == {"utm_source": "google", "gclid": "Cj0x"}
    assert clean_referrer("https://www.google.com/search?q=ana+lopez+braces") == "https://www.google.com/"
    assert clean_referrer("https://brightsmile.example/x", page_host="brightsmile.example") is None
    assert clean_landing_page("javascript:alert(1)") is None
    assert carries_personal_data("ana%2540example.com") and not carries_personal_data("spring_promo")


@pytest.mark.unit
def test_form_tracking_fields_are_cleaned_and_personal_ones_withheld():
    normalized = normalize_inquiry(
        inquiry(
            landing_page="https://brightsmile.example/braces?utm_campaign=spring&email=ana%2540example.com",
            referrer="https://www.bing.com/search?q=ana+lopez+512+867+5309",
            utm_content="ana_lopez@example.com",
            utm_campaign=None,
            consent_page="https://brightsmile.example/contact?phone=5128675309",
        ),
        now=NOW,
    )
    assert normalized.tracking["landing_page"] == "https://brightsmile.example/braces"
    assert normalized.tracking["utm_campaign"] == "spring"  # taken from the landing page's query
    assert normalized.tracking["referrer"] == "https://www.bing.com/"
    assert "utm_content" not in normalized.tracking
    assert normalized.consent.page == "https://brightsmile.example/contact"
    assert normalized.withheld_fields == ("utm_content",)
    with_phone_path = normalize_inquiry(inquiry(landing_page="https://x.example/t/5128675309"), now=NOW)
    assert "landing_page" not in with_phone_path.tracking
    assert with_phone_path.withheld_fields == ("landing_page",)


@pytest.mark.integration
async def test_a_form_inquiry_stores_no_personal_data_in_its_urls(client, domain):
    practice = await make_practice(domain)
    body = inquiry(
        landing_page="https://brightsmile.example/thanks/ana.lopez%2540example.com?gclid=Cj0",
        referrer="https://mail.example/inbox?to=ana.lopez@example.com",
        consent_page="https://brightsmile.example/contact?email=ana.lopez%40example.com",
    )
    raw, headers = signed(body, practice.secret)
    response = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    assert response.status_code == 201  # the patient's request is taken; the URL is not
    async with domain.sessionmaker() as session:
        touchpoint = await session.scalar(select(Touchpoint))
        consent = await session.scalar(select(ConsentRecord))
    assert touchpoint.landing_page is None
    assert touchpoint.referrer == "https://mail.example/"
    assert touchpoint.details["withheld_personal_data"] == ["landing_page"]
    assert consent.page == "https://brightsmile.example/contact"
    assert "ana" not in repr((touchpoint.landing_page, touchpoint.referrer, touchpoint.details, consent.page))
