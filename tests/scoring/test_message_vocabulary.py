"""Message reading against hand-labelled patient messages (tests/scoring/data/patient_messages.csv)."""

import pytest

from scoring.message_evaluation import evaluate_reading, load_messages

pytestmark = pytest.mark.unit

FLOOR = {"precision": 0.9, "recall": 0.9}
"""What the vocabulary must keep on the messages nobody tuned it on (docs/scoring.md has the figures)."""


def test_the_file_has_enough_distinct_messages_in_patients_words():
    rows = load_messages()
    assert len(rows) >= 200 and len({r["message"] for r in rows}) == len(rows)
    assert {r["set"] for r in rows} == {"dev", "test"}
    for column in ("urgent", "insurance", "no_insurance", "cost", "provider"):
        assert sum(r[column] == "1" for r in rows if r["set"] == "test") >= 8, column


@pytest.mark.parametrize("part", ["dev", "test"])
def test_precision_and_recall_stay_above_the_floor(part):
    figures = evaluate_reading([r for r in load_messages() if r["set"] == part])
    for signal, measured in figures.items():
        for name, floor in FLOOR.items():
            assert measured[name] >= floor, (part, signal, name, measured)
