"""How good the matcher is on labelled pairs: precision and recall of auto-links, the queue's size."""

from __future__ import annotations

from dataclasses import dataclass

from router.matching.decisions import MatchDecision


@dataclass(frozen=True, slots=True)
class MatchQuality:
    """Counts over a labelled set; every auto-link not in the truth counts as wrong."""

    true_matches: int
    auto_links: int
    right_auto_links: int
    review_items: int
    review_true: int

    @property
    def precision(self) -> float:
        return self.right_auto_links / self.auto_links if self.auto_links else 1.0

    @property
    def recall(self) -> float:
        return self.right_auto_links / self.true_matches if self.true_matches else 1.0

    @property
    def recall_after_review(self) -> float:
        """Recall if managers accept the true pairs in the queue and reject the rest."""
        found = self.right_auto_links + self.review_true
        return found / self.true_matches if self.true_matches else 1.0


def match_quality(decisions: list[MatchDecision], truth: set[tuple[str, str]]) -> MatchQuality:
    links = {(d.pair.lead_id, d.pair.patient_id) for d in decisions if d.outcome == "link"}
    queued = {(d.pair.lead_id, d.pair.patient_id) for d in decisions if d.outcome == "review"}
    return MatchQuality(
        true_matches=len(truth),
        auto_links=len(links),
        right_auto_links=len(links & truth),
        review_items=len(queued),
        review_true=len(queued & truth),
    )
