"""How the models are doing: evaluation on the latest holdout, score drift, and the models page's overview."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.clock import clock_of
from router.core.models import Lead, ModelVersion
from router.scores.registry import (
    UnknownModelVersion,
    active_version,
    get_version,
    holdout_auc,
    list_versions,
    unpack_holdout,
    version_scope,
)
from scoring.drift import PSI_RETRAIN, PSI_WATCH, population_stability_index


@dataclass(frozen=True)
class Evaluation:
    """A version's AUC on the most recent holdout stored for its practice (or the pooled model)."""

    version: str
    holdout_version: str
    auc: float
    leads: int


async def evaluate_on_latest_holdout(session: AsyncSession, version: str) -> Evaluation:
    """Score a version on the newest holdout of its scope: is an older champion still as good?"""
    row = await get_version(session, version)
    newest = await session.scalar(
        select(ModelVersion)
        .where(version_scope(row.practice_id), ModelVersion.holdout.is_not(None))
        .order_by(ModelVersion.created_at.desc())
        .limit(1)
    )
    if newest is None or newest.holdout is None:
        raise UnknownModelVersion(f"no stored holdout for the scope of {version}")
    features, labels = unpack_holdout(newest.holdout)
    return Evaluation(
        version, newest.version, holdout_auc(row.onnx_model, features, labels), int(labels.size)
    )


DRIFT_WATCH, DRIFT_RETRAIN = PSI_WATCH, PSI_RETRAIN
"""Conventional PSI thresholds: under 0.1 stable, 0.1-0.25 worth watching, above 0.25 retrain."""
DRIFT_WINDOW_DAYS = 30
"""Recent scores compared with the training distribution: a month smooths weekday and campaign bursts."""


DRIFT_MIN_LEADS = 50
"""Below this many recent scores PSI is mostly noise from its ten bins, so no figure is shown."""


def drift_verdict(psi: float | None) -> str:
    """PSI in plain words for a manager."""
    if psi is None:
        return "not enough recent scored leads to tell"
    if psi < DRIFT_WATCH:
        return "stable: recent leads look like the ones the model learned from"
    if psi <= DRIFT_RETRAIN:
        return "watch: recent leads are shifting away from the training data"
    return "retrain: recent leads differ a lot from the training data"


async def score_drift(session: AsyncSession, practice_id: uuid.UUID | None) -> float | None:
    """PSI of the last 30 days' scores by the version serving this practice vs that version's reference."""
    row = await active_version(session, practice_id)
    if row is None and practice_id is not None:
        row = await active_version(session, None)
    if row is None or not row.reference_scores:
        return None
    query = select(Lead.score).where(
        Lead.score_version == row.version,
        Lead.score.is_not(None),
        Lead.received_at >= clock_of(session).now() - timedelta(days=DRIFT_WINDOW_DAYS),
    )
    if practice_id is not None:
        query = query.where(Lead.practice_id == practice_id)
    recent = [float(s) for s in (await session.scalars(query)).all()]
    if len(recent) < DRIFT_MIN_LEADS:
        return None
    # Leads store whole points; rounding the reference the same way keeps both on the same bin edges.
    return population_stability_index(np.round(np.asarray(row.reference_scores, dtype=float)), recent)


@dataclass(frozen=True)
class ModelsOverview:
    """What a manager sees about lead-score models: versions, the one scoring their leads, its drift."""

    versions: list[ModelVersion]
    active: ModelVersion | None
    psi: float | None
    verdict: str


async def models_overview(session: AsyncSession, *, practice_id: uuid.UUID | None) -> ModelsOverview:
    """The versions a practice may see (its own and the pooled ones) and the drift of the one serving it."""
    versions = await list_versions(session, practice_ids=None if practice_id is None else [practice_id])
    active = next((v for v in versions if v.status == "active" and v.practice_id == practice_id), None)
    active = active or next((v for v in versions if v.status == "active" and v.practice_id is None), None)
    psi = await score_drift(session, practice_id)
    return ModelsOverview(versions=versions, active=active, psi=psi, verdict=drift_verdict(psi))
