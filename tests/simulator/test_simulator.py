"""The practice simulator: deterministic, consistent tags, valid payloads, the demo practices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import phonenumbers
import pytest
import zipcodes

from scoring.channels import CHANNELS, classify_channel
from simulator.inquiries import PracticeSimulator
from simulator.practices import demo_call_center, demo_practices
from simulator.synthetic_journeys import simulate_journeys

pytestmark = pytest.mark.unit
START, END = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC)
ENUMS = {
    "treatment_interest": {
        "general",
        "cleaning",
        "implants",
        "orthodontics",
        "invisalign",
        "cosmetic",
        "emergency",
        "pediatric",
        "other",
    },
    "age_range": {"under_18", "18_34", "35_54", "55_plus"},
    "last_dental_visit": {"under_6_months", "6_12_months", "1_2_years", "over_2_years", "never", "unknown"},
    "device_type": {"mobile", "desktop", "tablet"},
    "keyword_match_type": {"exact", "phrase", "broad"},
}


@pytest.fixture(scope="module")
def inquiries():
    return list(PracticeSimulator(seed=5).history(START, END, leads_per_day=4.0))


def test_history_is_deterministic_for_a_seed(inquiries):
    again = list(PracticeSimulator(seed=5).history(START, END, leads_per_day=4.0))
    assert [(i.received_at, i.payload, i.converted) for i in again] == [
        (i.received_at, i.payload, i.converted) for i in inquiries
    ]
    other = list(PracticeSimulator(seed=6).history(START, END, leads_per_day=4.0))
    assert [i.payload for i in other] != [i.payload for i in inquiries]


def test_history_is_in_time_order_within_the_window(inquiries):
    times = [i.received_at for i in inquiries]
    assert times == sorted(times) and times[0] >= START and times[-1] < END
    assert all(t.utcoffset() == timedelta(0) for t in times)


def test_payload_tags_classify_to_the_true_channel(inquiries):
    for inquiry in inquiries:
        p = inquiry.payload
        assert (
            classify_channel(
                utm_source=p.get("utm_source"),
                utm_medium=p.get("utm_medium"),
                gclid=p.get("gclid"),
                fbclid=p.get("fbclid"),
                referrer=p.get("referrer"),
            )
            == inquiry.channel
        )
        assert inquiry.journey[-1][0] == inquiry.channel and inquiry.channel in CHANNELS


def test_payload_fields_are_valid(inquiries):
    # Each distinct ZIP is looked up once: a look-up costs milliseconds and the history repeats ZIPs.
    for zip_code in {inquiry.payload["zip"] for inquiry in inquiries if "zip" in inquiry.payload}:
        assert zipcodes.matching(zip_code), zip_code
    for inquiry in inquiries:
        p = inquiry.payload
        number = phonenumbers.parse(p["phone"], "US")
        assert phonenumbers.is_valid_number(number), p["phone"]
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[5:8] != "555"
        for field, allowed in ENUMS.items():
            assert p.get(field, next(iter(allowed))) in allowed, (field, p.get(field))
        datetime.fromisoformat(p["submitted_at"])
        assert 0.0 < inquiry.true_probability < 1.0 and (inquiry.value > 0) == inquiry.converted
        if inquiry.kind == "call":
            assert (
                inquiry.call_from
                and inquiry.tracking_number.startswith("+1")
                and "555" in inquiry.tracking_number
            )
        else:
            assert {"first_name", "email", "zip", "visitor_id", "sms_consent", "pages_visited"} & set(p)
            assert isinstance(p["sms_consent"], bool)


def test_some_people_inquire_twice_and_parents_share_a_phone(inquiries):
    statuses = {i.person_status for i in inquiries}
    assert {"repeat", "sibling"} <= statuses
    phones = [i.payload["phone"][-4:] + i.payload.get("last_name", "") for i in inquiries]
    assert len(set(phones)) < len(phones)


def test_next_inquiry_is_received_now():
    now = datetime(2026, 2, 3, 15, 0, tzinfo=UTC)
    inquiry = PracticeSimulator(seed=1).next_inquiry(now)
    assert abs((inquiry.received_at - now).total_seconds()) <= 3


def test_demo_practices_are_complete():
    practices = demo_practices()
    assert [len(p.locations) for p in practices] == [3, 2]
    assert len({p.time_zone for p in practices}) == 2
    for practice in practices:
        for location in practice.locations:
            found = zipcodes.matching(location.zip)[0]
            assert (float(found["lat"]), float(found["long"])) == (location.latitude, location.longitude)
            assert set(location.business_hours) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
        assert all("55501" in t.phone_e164 for t in practice.tracking_numbers)
    assert any(
        len(hours) == 2 for p in practices for loc in p.locations for hours in loc.business_hours.values()
    )
    assert {a.role for a in demo_call_center().agents} == {"overflow_agent"}


def test_journeys_are_fast_deterministic_and_shaped():
    journeys, converted, values = simulate_journeys(20_000, seed=3)
    again, converted_again, _ = simulate_journeys(20_000, seed=3)
    assert journeys == again and np.array_equal(converted, converted_again)
    assert len(journeys) == 20_000 and all(1 <= len(j) <= 8 for j in journeys)
    assert 0.03 < converted.mean() < 0.3 and (values[~converted] == 0).all() and (values[converted] > 0).all()
    starts = {j[0] for j in journeys if len(j) > 1}
    assert "social" in starts and "direct_mail" in starts
