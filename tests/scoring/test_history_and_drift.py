"""CSV history import (warnings, errors by line number) and the population stability index."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.drift import population_stability_index
from scoring.history_csv import import_history_csv

pytestmark = pytest.mark.unit

CSV = """received_at,converted,message,utm_source,utm_medium,zip,favourite_colour
2025-01-02T10:00:00,1,"In pain, can you see me today?",google,cpc,78701,blue
not-a-date,1,,,,,
2025-01-03T10:00:00-06:00,maybe,,,,,
2025-01-04T09:30:00Z,no,"Do you take
Delta Dental?",,,78664,
2025-01-05T12:00:00,0,,,,,
"""


def test_import_reads_good_rows_and_reports_bad_ones_by_line():
    result = import_history_csv(CSV, time_zone="America/Chicago", locations=[(30.2672, -97.7423)])
    assert result.labels == [True, False, False]
    assert result.warnings == ["ignored unknown column(s): favourite_colour"]
    assert [line for line, _ in result.errors] == [3, 4]
    assert "received_at" in result.errors[0][1] and "converted" in result.errors[1][1]
    first = result.inputs[0]
    assert first.channel == "google_ads" and first.distance_miles == pytest.approx(0.0, abs=0.01)
    assert first.received_at_local.hour == 10 and result.received_at[0].hour == 16


def test_missing_required_column_is_an_error_not_an_exception():
    result = import_history_csv("message\nhello\n", time_zone="America/Chicago")
    assert result.errors == [(1, "missing required column(s): received_at, converted")] and not result.inputs


def test_psi_is_small_for_the_same_population_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    reference = rng.beta(2, 5, 5000) * 100
    assert population_stability_index(reference, rng.beta(2, 5, 3000) * 100) < 0.02
    assert population_stability_index(reference, rng.beta(4, 3, 3000) * 100) > 0.25
    assert population_stability_index(reference, reference) == pytest.approx(0.0, abs=1e-12)
