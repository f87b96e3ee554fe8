"""Reply parsing against a checked-in set of real-world style replies with the expected meaning."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from router.reminders.replies import ReplyMeaning, classify_reply

pytestmark = pytest.mark.unit

CASES = list(csv.DictReader((Path(__file__).parent / "replies.csv").open(encoding="utf-8")))


def test_the_set_is_large_and_covers_every_meaning():
    assert len(CASES) >= 100
    counts = Counter(case["expected"] for case in CASES)
    assert set(counts) == {meaning.value for meaning in ReplyMeaning}
    assert min(counts.values()) >= 10


@pytest.mark.parametrize("case", CASES, ids=[case["reply"] for case in CASES])
def test_each_reply_means_what_a_person_would_read(case):
    assert classify_reply(case["reply"]) == case["expected"]


def test_empty_and_whitespace_go_to_a_person():
    assert classify_reply("") is ReplyMeaning.UNPARSED
    assert classify_reply("   \n") is ReplyMeaning.UNPARSED
