"""Hand-built records through the matcher: nicknames, typos, households, twins, empty sides."""

from __future__ import annotations

import pytest

from router.matching.decisions import Thresholds, decide
from router.matching.linkage import ScoredPair, score_pairs
from router.matching.records import comparable, name_forms

pytestmark = pytest.mark.unit

PATIENT = {
    "record_id": "p1",
    "first_name": "Robert",
    "last_name": "Okafor",
    "phone": "+15125550142",
    "email": "robert.okafor@example.com",
    "date_of_birth": "1981-03-14",
    "zip": "78704-1234",
}


def _lead(**changes) -> dict:
    return {**PATIENT, "record_id": "l1", **changes}


def _outcome(lead: dict, patients: list[dict]) -> dict[str, str]:
    return {d.pair.patient_id: d.outcome for d in decide(score_pairs([lead], patients))}


def test_records_are_cleaned_the_same_way_for_both_sides():
    record = comparable({"record_id": 7, "first_name": " Bob ", "last_name": "O'Neil", "zip": "78704-1234"})
    assert record["first_name"] == "bob"
    assert record["last_name"] == "oneil"
    assert record["zip"] == "78704"
    assert "robert" in record["first_name_forms"]
    assert record["email"] is None


def test_a_nickname_shares_a_form_with_the_formal_name():
    assert set(name_forms("bob")) & set(name_forms("robert"))
    assert not set(name_forms("maria")) & set(name_forms("robert"))


def test_the_same_person_with_a_nickname_and_a_new_phone_links():
    assert _outcome(_lead(first_name="Bob", phone="+15035550199"), [PATIENT]) == {"p1": "link"}


def test_a_typo_in_the_surname_still_links():
    assert _outcome(_lead(last_name="Okafro"), [PATIENT]) == {"p1": "link"}


def test_a_spouse_on_the_family_phone_is_not_linked():
    spouse = _lead(first_name="Grace", date_of_birth="1983-09-02", email=None)
    assert _outcome(spouse, [PATIENT]).get("p1") != "link"


def test_a_child_with_another_birth_date_is_left_apart():
    child = _lead(first_name="Tobi", date_of_birth="2015-06-30")
    assert _outcome(child, [PATIENT]) == {}


def test_two_strong_candidates_go_to_a_manager():
    twin = {**PATIENT, "record_id": "p2", "email": "r.okafor@example.com"}
    lead = _lead(email=None, date_of_birth=None)
    assert set(_outcome(lead, [PATIENT, twin]).values()) == {"review"}


def test_nothing_to_compare_scores_nothing():
    assert score_pairs([], [PATIENT]) == []
    assert score_pairs([_lead()], []) == []


def test_decisions_follow_the_thresholds():
    agreement = dict.fromkeys(("first_name", "last_name", "phone", "email", "date_of_birth", "zip"), 1)
    pairs = [ScoredPair("l1", "p1", 0.97, 5.0, agreement), ScoredPair("l2", "p2", 0.4, -1.0, agreement)]
    assert [d.outcome for d in decide(pairs)] == ["review"]
    assert [d.outcome for d in decide(pairs, Thresholds(auto_link=0.95, review=0.3))] == ["link", "review"]
    with pytest.raises(ValueError, match="thresholds"):
        Thresholds(auto_link=0.5, review=0.9)
