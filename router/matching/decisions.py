"""From scored pairs to what happens: link at once, ask a manager, or leave apart.

A lead links at once to a patient scoring at least `auto_link` when no other patient also does
(two strong candidates, e.g. twins, go to a manager instead). Every other candidate between
`review` and `auto_link` goes to the review queue, unless the lead was linked at once.

Households break the model's assumption that fields agree independently: a spouse or child shares
phone, surname, home and often email, so their pair scores high although the first names differ.
So a pair whose first names disagree is never linked at once (at most reviewed: a person may now
give a middle name), and one whose first names and birth dates both disagree is left apart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from router.matching.linkage import ScoredPair

AUTO_LINK_PROBABILITY = 0.99
"""On the labelled set, auto-links above this are right 99.9% of the time (docs/matching.md)."""

DISAGREE = 0
"""splink's comparison level for "all other comparisons" (-1 is a missing value)."""

REVIEW_PROBABILITY = 0.5
"""Below this a pair is more likely two people than one: no link, nothing to review."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The two cut-offs on the match probability; a practice may tighten or relax them."""

    auto_link: float = AUTO_LINK_PROBABILITY
    review: float = REVIEW_PROBABILITY

    def __post_init__(self) -> None:
        if not 0.0 < self.review <= self.auto_link <= 1.0:
            raise ValueError("thresholds need 0 < review <= auto_link <= 1")


@dataclass(frozen=True, slots=True)
class MatchDecision:
    """One lead-patient pair and its outcome: "link" (at once) or "review" (a manager decides)."""

    pair: ScoredPair
    outcome: str


def decide(pairs: list[ScoredPair], thresholds: Thresholds | None = None) -> list[MatchDecision]:
    """The links and review items for a batch of scored pairs, strongest first per lead."""
    limits = thresholds or Thresholds()
    by_lead: dict[str, list[ScoredPair]] = defaultdict(list)
    for pair in pairs:
        if pair.probability >= limits.review and not _other_person(pair):
            by_lead[pair.lead_id].append(pair)
    decisions: list[MatchDecision] = []
    for lead_id in sorted(by_lead):
        candidates = sorted(by_lead[lead_id], key=lambda p: (-p.probability, p.patient_id))
        strong = [p for p in candidates if p.probability >= limits.auto_link and not _first_names_differ(p)]
        if len(strong) == 1:
            decisions.append(MatchDecision(strong[0], "link"))
        else:
            decisions.extend(MatchDecision(p, "review") for p in candidates)
    return decisions


def _first_names_differ(pair: ScoredPair) -> bool:
    return pair.agreement.get("first_name") == DISAGREE


def _other_person(pair: ScoredPair) -> bool:
    return _first_names_differ(pair) and pair.agreement.get("date_of_birth") == DISAGREE
