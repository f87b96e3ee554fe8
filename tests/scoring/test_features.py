"""The one feature function: same vector in training and serving, tolerant of missing and odd input."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from scoring.features import (
    FEATURE_NAMES,
    ScoringInput,
    feature_matrix,
    feature_vector,
    scoring_input_from_inquiry,
)
from scoring.geo import distance_miles
from scoring.text import read_message

pytestmark = pytest.mark.unit
AUSTIN = ZoneInfo("America/Chicago")


def test_training_matrix_rows_equal_serving_vectors(small_history):
    inputs = small_history.inputs[:300]
    matrix = feature_matrix(inputs)
    for row, inp in zip(matrix, inputs, strict=True):
        np.testing.assert_array_equal(row, feature_vector(inp))  # NaN == NaN under this assertion
    assert matrix.dtype == np.float32 and matrix.shape == (300, len(FEATURE_NAMES))


def test_missing_everything_is_a_valid_vector():
    vector = feature_vector(ScoringInput())
    assert vector.shape == (len(FEATURE_NAMES),) and vector.dtype == np.float32
    assert np.isnan(vector[FEATURE_NAMES.index("channel")])


def test_odd_payload_values_become_missing_not_errors():
    inp = scoring_input_from_inquiry(
        {
            "pages_visited": "lots",
            "time_on_site_seconds": -5,
            "form_completion_seconds": "42",
            "date_of_birth": "31/12",
            "treatment_interest": " Orthodontics ",
            "device_type": 7,
            "message": "   ",
        },
        received_at_local=None,
        distance_miles=float("nan"),
        channel=None,
    )
    assert (
        inp.pages_visited is None and inp.time_on_site_seconds is None and inp.form_completion_seconds == 42
    )
    assert inp.age_years is None and inp.treatment_interest == "orthodontics" and inp.message is None
    assert inp.distance_miles is None
    feature_vector(inp)


def test_age_comes_from_date_of_birth_on_the_lead_date():
    local = datetime(2026, 3, 1, 10, tzinfo=AUSTIN)
    inp = scoring_input_from_inquiry(
        {"date_of_birth": "2000-03-02"}, received_at_local=local, distance_miles=None, channel="google_ads"
    )
    assert inp.age_years == 25


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Not urgent, whenever you have an opening. Do you take Aetna?", {"insurance"}),
        ("No dental insurance, do you offer a payment plan?", {"no_insurance", "price_shopping"}),
        ("Bad toothache, it's throbbing. Anything tomorrow?", {"urgent"}),
        ("Do you take Anthem? Or Sun Life?", {"insurance"}),
        ("My son has CHIP, is that accepted?", {"insurance"}),
        ("A tiny chip on my front tooth from years ago, bonding?", set()),
        ("What would I owe out of pocket after Delta pays?", {"insurance", "price_shopping"}),
        ("I'll be paying out of pocket.", {"no_insurance"}),
        ("Could I see Dr. Maria again?", {"provider_request"}),
        ("We'd like the same dentist my mom sees", {"provider_request"}),
        ("Referred by Dr. Patel, my orthodontist", set()),
        ("I'm in a lot of pain, can I come in today?", {"urgent"}),
        ("Can I see Dr. Chen? How much does it cost?", {"provider_request", "price_shopping"}),
        ("Looking for a family dentist near me.", set()),
        (None, set()),
    ],
)
def test_message_signals_read_with_negations(message, expected):
    signals = read_message(message, ["Dr. Maria Chen", "Dr. James Okafor"])
    found = {
        name
        for name in ("urgent", "insurance", "no_insurance", "provider_request", "price_shopping")
        if getattr(signals, name)
    }
    assert found == expected


def test_distance_to_nearest_office_in_miles():
    downtown, round_rock = (30.2672, -97.7423), (30.5006, -97.6302)
    assert distance_miles("78701", [downtown, round_rock]) == pytest.approx(0.0, abs=0.01)
    assert 10 < distance_miles("78664", [downtown]) < 20
    assert distance_miles("00000", [downtown]) is None and distance_miles(None, [downtown]) is None
