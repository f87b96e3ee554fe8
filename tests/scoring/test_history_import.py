"""History import from other systems' exports: aliases, a practice's map, dates, the report, refusals."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import pytest

from scoring.features import FEATURE_NAMES, feature_vector
from scoring.history_csv import import_history_csv
from scoring.history_dates import DayFirstDate, parse_receive_time
from scoring.history_report import MAX_SKIPPED_SHARE
from scoring.history_vocabulary import MapError, Vocabulary, parse_map
from simulator.foreign_export import PRACTICE_MAP, foreign_export

pytestmark = pytest.mark.unit

AUSTIN = ZoneInfo("America/Chicago")
OFFICE = [(30.2672, -97.7423)]
HOUR = FEATURE_NAMES.index("hour_local")
WEEKDAY = FEATURE_NAMES.index("weekday_local")


def _csv(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


def _import(text: str, mapping: str = ""):  # type: ignore[no-untyped-def]
    return import_history_csv(
        text, time_zone="America/Chicago", locations=OFFICE, mapping=parse_map(mapping) if mapping else None
    )


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Lead Source", "channel"),
        ("source", "channel"),
        ("lead_source", "channel"),
        ("Created", "received_at"),
        ("date", "received_at"),
        ("Outcome", "converted"),
        ("Status", "converted"),
        ("Service", "treatment_interest"),
        ("Notes", "message"),
        ("Zip Code", "zip"),
        ("Time On Site (sec)", "time_on_site_seconds"),
        ("Patient Age", "age"),
        ("favourite colour", None),
    ],
)
def test_column_aliases(header, field):
    assert Vocabulary().column(header) == field


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("channel", "facebook", "facebook_ads"),
        ("channel", "FB Lead Ad", "facebook_ads"),
        ("channel", "Instagram", "facebook_ads"),
        ("channel", "organic", "organic_search"),
        ("channel", "google cpc", "google_ads"),
        ("channel", "Phone Call", "phone"),
        ("channel", "Walk-in", "walk_in"),
        ("channel", "Yelp", "referral_site"),
        ("channel", "Dr Referral", "physician_referral"),
        ("treatment_interest", "Braces", "orthodontics"),
        ("treatment_interest", "ortho", "orthodontics"),
        ("treatment_interest", "Invisalign consult", "invisalign"),
        ("treatment_interest", "Implant consult", "implants"),
        ("treatment_interest", "Hygiene", "cleaning"),
        ("treatment_interest", "New Patient Exam", "general"),
        ("treatment_interest", "Toothache", "emergency"),
        ("device_type", "iPhone", "mobile"),
        ("device_type", "Android", "mobile"),
        ("device_type", "iPad", "tablet"),
        ("device_type", "Windows", "desktop"),
        ("converted", "Scheduled", "yes"),
        ("converted", "Lost", "no"),
        ("converted", "Not booked", "no"),
        ("converted", "Open", None),
    ],
)
def test_value_aliases(field, value, code):
    reading = Vocabulary().read(field, value)
    assert reading.code == (code or ("open" if value == "Open" else None))


@pytest.mark.parametrize(
    ("field", "value", "choices"),
    [
        ("channel", "referral", {"physician_referral", "referral_site"}),
        ("channel", "google", {"google_ads", "organic_search"}),
        ("converted", "No Show", {"yes", "no"}),
        ("channel", "facebok", {"facebook_ads"}),
    ],
)
def test_ambiguous_and_misspelt_values_are_refused_with_choices(field, value, choices):
    reading = Vocabulary().read(field, value)
    assert reading.code is None and choices <= set(reading.choices)


def test_a_practice_map_adds_columns_and_values_in_toml_or_rules():
    toml = parse_map(
        '[columns]\n"Intake" = "received_at"\n[values.channel]\nreferral = "physician_referral"\n'
    )
    rules = parse_map("Intake = received_at\nchannel: Referral = physician_referral\ndates = day_first")
    for mapping in (toml, rules):
        vocabulary = Vocabulary(mapping)
        assert vocabulary.column("intake") == "received_at"
        assert vocabulary.read("channel", "Referral").code == "physician_referral"
    assert rules.day_first and not toml.day_first
    assert Vocabulary(toml.merged(rules)).read("channel", "referral").code == "physician_referral"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[values.channel]\nfb = 'facebook_adz'", "did you mean facebook_ads"),
        ("[columns]\nSource = 'chanel'", "did you mean channel"),
        ("Source = nowhere", "not a history field"),
    ],
)
def test_a_map_naming_unknown_fields_or_codes_is_refused(text, message):
    with pytest.raises(MapError, match=message):
        parse_map(text)


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("03/01/2025 1:19 PM", (2025, 3, 1, 13, 19), True),
        ("3/1/25 12:05 am", (2025, 3, 1, 0, 5), True),
        ("03/01/2025 13:19:22", (2025, 3, 1, 13, 19), True),
        ("Mar 1, 2025 1:19 PM", (2025, 3, 1, 13, 19), True),
        ("2025-03-01T13:19:00", (2025, 3, 1, 13, 19), True),
        ("45717.5", (2025, 3, 1, 12, 0), True),
        ("03/01/2025", (2025, 3, 1, 0, 0), False),
        ("2025-03-01", (2025, 3, 1, 0, 0), False),
    ],
)
def test_us_iso_and_date_only_values(text, expected, has_time):
    received = parse_receive_time(text, AUSTIN)
    at = received.at
    assert (at.year, at.month, at.day, at.hour, at.minute) == expected
    assert received.has_time is has_time and at.tzinfo is not None


def test_day_first_dates_are_refused_unless_the_map_says_so():
    with pytest.raises(DayFirstDate):
        parse_receive_time("25/03/2025", AUSTIN)
    assert parse_receive_time("01/03/2025", AUSTIN, day_first=True).at.month == 3
    assert parse_receive_time("2025-03-01T13:19:00Z", AUSTIN).at.utcoffset().total_seconds() == 0


def test_a_date_without_a_time_leaves_the_time_of_day_missing_never_midnight():
    result = _import(_csv("Created,Outcome", ["03/03/2025,Booked", "03/03/2025 12:10 AM,Lost"]))
    date_only, midnight = (feature_vector(inp) for inp in result.inputs)
    assert math.isnan(date_only[HOUR]) and date_only[WEEKDAY] == 0.0
    assert midnight[HOUR] == 0.0
    assert result.report.date_only == 1


def test_the_report_groups_values_with_counts_and_suggestions():
    rows = [f"03/0{1 + i % 9}/2025 10:00 AM,facebook,Braces,iPhone,Booked" for i in range(30)]
    rows += ["03/02/2025 9:00 AM,referral,ortho,Android,Lost"] * 2 + [
        "03/02/2025,referral,ortho,Android,Lost"
    ]
    rows += ["03/02/2025 9:00 AM,Referral,Toothache,,No Show"]
    rows += ["not a date,organic,Invisalign consult,Mac,Lost", "03/04/2025 2:00 PM,organic,,,Open"]
    report = _import(_csv("Created,Lead Source,Service,Device,Status", rows)).report
    assert (report.rows, report.usable, report.still_open, report.skipped_rows) == (36, 33, 1, 2)
    assert report.positives == 30 and report.date_only == 1
    channel = report.columns["channel"]
    assert channel.understood == 32 and channel.refused == 4
    (referral,) = channel.top_refused()
    assert referral.count == 4 and "physician_referral" in referral.suggestion
    text = "\n".join(report.lines())
    assert "'referral' x 4, line 32, 33, 34, ... -> did you mean physician_referral" in text
    assert "'facebook' -> facebook_ads x 30" in text
    assert "'No Show' x 1" in text and "no readable date" in text
    assert "dates: 2025-03-01 to 2025-03-09" in text and "30 of 33 became patients" in text
    assert any("'referral'" in r for r in report.refusals())  # 11% of the rows: a whole channel vanishes
    mapped = _import(
        _csv("Created,Lead Source,Service,Device,Status", rows), "channel: referral = physician_referral"
    )
    assert not any("source" in r for r in mapped.report.refusals())
    assert mapped.report.columns["channel"].refused == 0


def _rows(good: int, bad: int) -> str:
    lines = [f"2025-03-{1 + i % 28:02d}T10:00:00,{i % 2}" for i in range(good)]
    lines += [f"someday,{i % 2}" for i in range(bad)]
    return _csv("received_at,converted", lines)


def test_refused_when_more_than_five_percent_of_rows_would_be_skipped():
    assert MAX_SKIPPED_SHARE == 0.05
    assert not _import(_rows(95, 5)).report.refusals()
    (reason,) = _import(_rows(94, 6)).report.refusals()
    assert "6 of 100 rows (6.0%) would be skipped" in reason


def test_refused_when_a_whole_channel_or_treatment_would_vanish():
    lines = [f"2025-03-01T10:00:00,{i % 2},{'facebook' if i % 10 else 'bingo'},cleaning" for i in range(100)]
    report = _import(_csv("received_at,converted,channel,treatment_interest", lines)).report
    (reason,) = report.refusals()
    assert "'bingo' (10 rows, 10.0%) would lose it" in reason
    mapped = _import(
        _csv("received_at,converted,channel,treatment_interest", lines), "channel: bingo = direct_mail"
    ).report
    assert not mapped.refusals()
    lines = [f"2025-03-01T10:00:00,{i % 2},facebook,{'cleaning' if i % 10 else 'botox'}" for i in range(100)]
    assert (
        "treatment"
        in _import(_csv("received_at,converted,channel,treatment_interest", lines)).report.refusals()[0]
    )


def test_foreign_export_reproduces_the_refusal_and_its_map_fixes_it():
    export = foreign_export(600, seed=3)
    header = ",".join(export.rows[0])
    text = _csv(header, [",".join(f'"{v}"' for v in row.values()) for row in export.rows])
    before = _import(text).report
    assert any("'referral'" in reason.lower() for reason in before.refusals())
    after = _import(text, PRACTICE_MAP)
    assert not after.report.refusals()
    channels = {inp.channel for inp in after.inputs}
    assert {"facebook_ads", "organic_search", "physician_referral", "phone"} <= channels
    assert {inp.treatment_interest for inp in after.inputs} >= {"orthodontics", "invisalign", "emergency"}
    assert any(not inp.time_of_day_known for inp in after.inputs)


def test_delimiters_and_missing_words():
    text = "Created;Lead Source;Status\n03/01/2025 1:19 PM;N/A;Booked\n03/02/2025 2:00 PM;facebook;Lost\n"
    result = _import(text)
    assert len(result.inputs) == 2 and result.inputs[0].channel is None
    assert result.report.columns["channel"].missing == 1
