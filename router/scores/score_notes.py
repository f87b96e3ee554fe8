"""What a score is worth, in words: provisional while the pooled model serves a practice, and why.

The pooled model (trained on the simulator on a fresh install) scores every practice that has no
model of its own. Its scores rank leads the way other practices' leads behaved, so the board marks
them "provisional"; the lead page and the models page say why, and what ends it: a recalibration
to the practice's booking rate from `recalibrate_min_leads` closed leads, and a model of its own
from `min_practice_leads`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from router.core.domain import Domain
from router.core.models import ModelVersion
from router.scores import registry
from router.scores.history import closed_lead_count


@dataclass(frozen=True)
class ScoreNote:
    """Who produced a score and how far to trust it."""

    version: str
    provisional: bool
    recalibrated: bool
    reason: str
    closed_leads: int
    needed_leads: int


def _learned_from(card: dict) -> str:
    source = str(card.get("source") or card.get("history_source") or "")
    if "simulator" in source:
        return "simulated practices (the product's simulator: no practice has shared real history yet)"
    return "other practices' leads"


async def _version(session: AsyncSession, version: str) -> ModelVersion | None:
    query = select(ModelVersion).where(ModelVersion.version == version)
    return await session.scalar(
        query.options(
            defer(ModelVersion.onnx_model), defer(ModelVersion.booster), defer(ModelVersion.holdout)
        )
    )


async def score_note(
    session: AsyncSession, domain: Domain, practice_id: uuid.UUID, version: str | None = None
) -> ScoreNote | None:
    """The note for the version that scored a lead (`version`), or for the one serving the practice now."""
    if version is not None:
        row = await _version(session, version)
    else:
        serving = await registry.serving_version(session, practice_id)
        row = await _version(session, serving.version) if serving is not None else None
    if row is None:
        return None
    settings = domain.settings.scoring
    closed = await closed_lead_count(session, practice_id)
    needed = settings.min_practice_leads
    recalibration = row.card.get("recalibration") or {}
    if row.practice_id is not None and not row.card.get("recalibrated_from"):
        rows = row.card.get("training_rows")
        trained_on = f", trained on {rows:,} of your leads" if isinstance(rows, int) else ""
        return ScoreNote(row.version, False, False, f"Your practice's own model{trained_on}.", closed, needed)
    learned = _learned_from(row.card)
    if row.card.get("recalibrated_from"):
        reason = (
            f"Provisional: the starter model, recalibrated to your {recalibration.get('leads', 0):,} closed "
            f"leads so its scores follow your booking rate; it still ranks leads the way {learned} did. "
            f"A model of your own is trained from {needed:,} closed leads (you have {closed:,})."
        )
    else:
        reason = (
            f"Provisional: the starter model learned from {learned}, not from your patients. From "
            f"{settings.recalibrate_min_leads:,} closed leads it is recalibrated to your booking rate, and "
            f"from {needed:,} a model of your own replaces it (you have {closed:,})."
        )
    return ScoreNote(row.version, True, bool(row.card.get("recalibrated_from")), reason, closed, needed)
