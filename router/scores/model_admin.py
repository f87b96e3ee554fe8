"""The models page's decisions: candidates judged beside the model serving now, promotion and
rollback by a manager with a reason (audited), and a version's card in a manager's words.

A candidate is compared with the serving model on the candidate's own holdout (recent leads it was
not trained on), with the same paired rule `leadrouter models promote` applies
(router/scores/promotion.py). A manager may promote one the rule refuses only by saying why; every
promotion and rollback from the page records the reason in the audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from router.core.domain import Domain
from router.core.errors import InvalidFields, LeadNotFound
from router.core.models import ModelVersion
from router.privacy import audit
from router.privacy.access import Viewer, require
from router.scores.promotion import PromotionRefused, judge, promote, roll_back
from router.scores.registry import UnknownModelVersion, serving_version
from scoring.promotion import PromotionCheck

MIN_REASON_CHARACTERS = 10
"""A reason someone reading the audit log later can act on, not "ok"."""

METRIC_WORDS = {
    "roc_auc": (
        "How well it ranks leads (AUC)",
        "0.5 is a coin toss, 1.0 perfect: how often a lead who became a patient outscored one who did not.",
    ),
    "brier": ("Brier score", "The average squared miss of the predicted chance; lower is better."),
    "calibration_slope": (
        "Calibration slope",
        "1 means a score of 30 really is a 30 % chance; above 1 the scores are too timid, below too bold.",
    ),
    "conversion_rate": ("Became patients", "The share of holdout leads that became patients."),
    "mean_prediction": ("Average score", "The model's average predicted chance on the holdout."),
    "top_bottom_quartile_ratio": (
        "Top quarter vs bottom quarter",
        "How many times more often the top-scored quarter became patients than the bottom quarter.",
    ),
}
"""Holdout figures in a manager's words, with what each means."""


@dataclass(frozen=True)
class CandidateRow:
    version: ModelVersion
    check: PromotionCheck | None
    problem: str | None
    """Why it cannot be compared (no stored holdout)."""


def _practice(viewer: Viewer, action: str) -> uuid.UUID:
    require(viewer, action)
    assert viewer.practice_id is not None
    return viewer.practice_id


async def candidates(domain: Domain, viewer: Viewer) -> tuple[ModelVersion | None, list[CandidateRow]]:
    """The model serving the practice now, and each candidate judged beside it on the candidate's holdout."""
    practice_id = _practice(viewer, "models.view")
    async with domain.sessionmaker() as session:
        serving = await serving_version(session, practice_id)
        rows = (
            await session.scalars(
                select(ModelVersion)
                .where(ModelVersion.practice_id == practice_id, ModelVersion.status == "candidate")
                .order_by(ModelVersion.created_at.desc())
                .limit(5)
            )
        ).all()
        judged = []
        for row in rows:
            try:
                judged.append(CandidateRow(row, judge(row, serving), None))
            except PromotionRefused as exc:
                judged.append(CandidateRow(row, None, str(exc)))
    return serving, judged


async def load_card(domain: Domain, viewer: Viewer, version: str) -> ModelVersion:
    """A version's card, for a version this practice may see (its own or the pooled starter model)."""
    practice_id = _practice(viewer, "models.view")
    async with domain.sessionmaker() as session:
        row = await session.scalar(select(ModelVersion).where(ModelVersion.version == version))
    if row is None or row.practice_id not in (None, practice_id):
        raise LeadNotFound("No such model version.")
    return row


def _reason(reason: str, field: str) -> str:
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_CHARACTERS:
        raise InvalidFields(
            {field: f"Say why, in at least {MIN_REASON_CHARACTERS} characters; it goes in the audit log."}
        )
    return reason[:500]


async def promote_from_page(
    domain: Domain, viewer: Viewer, version: str, *, reason: str, override: bool, actor: audit.Actor
) -> dict[str, Any]:
    """Promote a candidate of the practice; the rule must agree unless `override` (with the reason)."""
    practice_id = _practice(viewer, "models.promote")
    reason = _reason(reason, "reason")
    async with domain.transaction() as session:
        row = await session.scalar(select(ModelVersion).where(ModelVersion.version == version))
        if row is None or row.practice_id != practice_id:
            raise LeadNotFound("No such model version of your practice.")
        try:
            done = await promote(session, version, actor=actor, force=override, reason=reason)
        except PromotionRefused as exc:
            raise InvalidFields(
                {"reason": f'The rule says no: {exc}. Tick "promote anyway" to override it.'}
            ) from exc
        audit.record(
            session,
            actor=actor,
            action="model.promoted",
            practice_id=practice_id,
            details={
                "version": version,
                "replaced": done.previous_version,
                "reason": reason,
                "override": override,
            },
        )
    return {"version": done.version, "replaced": done.previous_version}


async def roll_back_from_page(
    domain: Domain, viewer: Viewer, *, reason: str, actor: audit.Actor
) -> dict[str, Any]:
    """Put the practice's previous model back (audited with the reason by the rollback itself)."""
    practice_id = _practice(viewer, "models.promote")
    reason = _reason(reason, "rollback_reason")
    async with domain.transaction() as session:
        try:
            done = await roll_back(session, practice_id, actor=actor, reason=reason)
        except (UnknownModelVersion, ValueError) as exc:
            raise InvalidFields({"rollback_reason": f"Nothing to roll back to: {exc}."}) from exc
    return {"version": done.version, "replaced": done.previous_version}
