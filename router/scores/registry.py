"""The model registry: trained lead-score versions, the promotion rule, and score drift.

A version is stored as a candidate with its metrics, card, ONNX and booster bytes, reference scores
and its holdout (feature matrix and outcomes, no PHI). A challenger replaces the champion only when
its AUC is not worse than the champion's on the challenger's own holdout, so both are judged on the
same leads; a manager may override that with a reason, which goes to the audit log. Functions take a
session and leave the commit to the caller; `promote_and_announce` is the action that commits and
rings the doorbell so every process swaps to the new version.
"""

from __future__ import annotations

import io
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from router.core.clock import utcnow
from router.core.domain import Domain
from router.core.events import record_event
from router.core.models import Lead, ModelVersion
from router.privacy import audit
from scoring.drift import population_stability_index
from scoring.export import onnx_probabilities
from scoring.features import feature_matrix
from scoring.runtime import ModelRuntime
from scoring.training import TrainingResult

AUC_TIE_TOLERANCE = 1e-9
"""Float noise allowed when comparing AUCs: the same model on the same holdout must count as a tie."""

DRIFT_WINDOW_DAYS = 30
"""Recent scores compared with the training distribution: a month smooths weekday and campaign bursts."""

DRIFT_MIN_LEADS = 50
"""Below this many recent scores PSI is mostly noise from its ten bins, so no figure is shown."""

DRIFT_WATCH, DRIFT_RETRAIN = 0.1, 0.25
"""Conventional PSI thresholds: under 0.1 stable, 0.1-0.25 worth watching, above 0.25 retrain."""

_LARGE_COLUMNS = (ModelVersion.onnx_model, ModelVersion.booster, ModelVersion.holdout)


class PromotionRefused(Exception):
    """The challenger scored worse than the champion on the same holdout (and no override was given)."""


class UnknownModelVersion(LookupError):
    """No stored model has this version."""


@dataclass(frozen=True)
class Promotion:
    """What a promotion did: the new champion, the one it replaced, and both AUCs on the same holdout."""

    version: str
    practice_id: uuid.UUID | None
    previous_version: str | None
    challenger_auc: float | None
    champion_auc: float | None
    forced: bool
    event_id: int | None


def _json_safe(value: Any) -> Any:
    """JSONB refuses NaN and infinity (e.g. a quartile ratio over an empty bottom quartile): store null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _pack_holdout(features: np.ndarray, labels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, features=features.astype(np.float32), labels=labels.astype(bool))
    return buffer.getvalue()


def unpack_holdout(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(feature matrix, outcomes) of a stored holdout; no pickle is ever loaded."""
    with np.load(io.BytesIO(raw), allow_pickle=False) as data:
        return data["features"], data["labels"]


def holdout_auc(onnx_bytes: bytes, features: np.ndarray, labels: np.ndarray) -> float:
    """ROC AUC of an ONNX model on a stored holdout (`scoring.training.evaluate_auc` on a matrix)."""
    y = np.asarray(labels, dtype=bool)
    if not 0 < y.sum() < y.size:
        return math.nan
    return float(roc_auc_score(y, onnx_probabilities(onnx_bytes, features)))


def _scope(practice_id: uuid.UUID | None) -> Any:
    return (
        ModelVersion.practice_id.is_(None) if practice_id is None else ModelVersion.practice_id == practice_id
    )


async def store_version(
    session: AsyncSession,
    result: TrainingResult,
    *,
    practice_id: uuid.UUID | None,
    source: str,
    training_rows: int,
) -> ModelVersion:
    """Save a trained model as a candidate (the same version again returns the stored row)."""
    existing = await session.scalar(select(ModelVersion).where(ModelVersion.version == result.version))
    if existing is not None:
        if existing.practice_id != practice_id:
            raise ValueError(f"version {result.version} is already stored for another practice")
        return existing
    slope, intercept = result.calibration
    card = {
        **result.card_json,
        "pooled": practice_id is None,
        "source": source,
        "training_rows": training_rows,
        "calibration": {"slope": slope, "intercept": intercept},
    }
    row = ModelVersion(
        id=uuid.uuid4(),
        version=result.version,
        practice_id=practice_id,
        status="candidate",
        holdout_auc=result.holdout_auc,
        metrics=_json_safe(result.metrics),
        card_markdown=result.card_markdown,
        card=_json_safe(card),
        feature_names=list(result.feature_names),
        onnx_model=result.onnx_bytes,
        booster=result.booster_bytes,
        reference_scores=list(result.score_reference_distribution),
        holdout=_pack_holdout(feature_matrix(result.holdout_inputs), result.holdout_labels),
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush([row])
    return row


async def list_versions(
    session: AsyncSession, *, practice_ids: Sequence[uuid.UUID] | None = None
) -> list[ModelVersion]:
    """Versions newest first, without their model bytes: all, or these practices' plus the pooled ones."""
    query = select(ModelVersion).options(*(defer(c) for c in _LARGE_COLUMNS))
    if practice_ids is not None:
        query = query.where(ModelVersion.practice_id.is_(None) | ModelVersion.practice_id.in_(practice_ids))
    return list((await session.scalars(query.order_by(ModelVersion.created_at.desc()))).all())


async def get_version(session: AsyncSession, version: str, *, for_update: bool = False) -> ModelVersion:
    """One stored version with its bytes; `UnknownModelVersion` when there is none."""
    query = select(ModelVersion).where(ModelVersion.version == version)
    row = await session.scalar(query.with_for_update() if for_update else query)
    if row is None:
        raise UnknownModelVersion(version)
    return row


async def active_version(
    session: AsyncSession, practice_id: uuid.UUID | None, *, for_update: bool = False
) -> ModelVersion | None:
    """The champion of a practice (None: the pooled champion), if one was promoted."""
    query = select(ModelVersion).where(_scope(practice_id), ModelVersion.status == "active")
    return await session.scalar(query.with_for_update() if for_update else query)


async def active_versions(session: AsyncSession) -> dict[uuid.UUID | None, str]:
    """Practice (None = pooled) -> active version: the one small query serving processes poll."""
    rows = await session.execute(
        select(ModelVersion.practice_id, ModelVersion.version).where(ModelVersion.status == "active")
    )
    return {practice_id: version for practice_id, version in rows.all()}


def runtime_for(row: ModelVersion) -> ModelRuntime:
    """A fully built serving runtime for a stored version (calibration read from its card)."""
    calibration = row.card.get("calibration") or {}
    return ModelRuntime(
        row.version,
        row.onnx_model,
        row.booster,
        row.feature_names,
        calibration=(float(calibration.get("slope", 1.0)), float(calibration.get("intercept", 0.0))),
    )


async def promote(
    session: AsyncSession,
    version: str,
    *,
    actor: audit.Actor,
    force: bool = False,
    reason: str | None = None,
) -> Promotion:
    """Make `version` its practice's champion if it is not worse on its holdout; `force` needs a reason."""
    if force and not (reason and reason.strip()):
        raise ValueError("a forced promotion needs a reason for the audit log")
    challenger = await get_version(session, version, for_update=True)
    champion = await active_version(session, challenger.practice_id, for_update=True)
    if champion is not None and champion.id == challenger.id:
        return Promotion(version, challenger.practice_id, version, None, None, False, None)
    challenger_auc = champion_auc = None
    if champion is not None:
        if challenger.holdout is None:
            raise PromotionRefused(f"{version} has no stored holdout to compare with {champion.version}")
        features, labels = unpack_holdout(challenger.holdout)
        challenger_auc = holdout_auc(challenger.onnx_model, features, labels)
        champion_auc = holdout_auc(champion.onnx_model, features, labels)
        worse = not challenger_auc + AUC_TIE_TOLERANCE >= champion_auc  # NaN counts as worse
        if worse and not force:
            raise PromotionRefused(
                f"{version} has holdout AUC {challenger_auc:.4f}, worse than the active "
                f"{champion.version} at {champion_auc:.4f} on the same {labels.size} leads"
            )
        champion.status = "retired"
        await session.flush([champion])  # leave the one-active-per-practice index before the new one enters
    now = utcnow()
    challenger.status = "active"
    challenger.promoted_at = now
    challenger.promoted_by = actor.id
    if force:
        audit.record(
            session,
            actor=actor,
            action="model.promote_forced",
            practice_id=challenger.practice_id,
            details=_json_safe(
                {
                    "version": version,
                    "replaced": champion.version if champion else None,
                    "challenger_auc": challenger_auc,
                    "champion_auc": champion_auc,
                    "reason": reason,
                }
            ),
        )
    event_id = await record_event(
        session,
        kind="model.promoted",
        practice_id=challenger.practice_id,
        location_id=None,
        lead_id=None,
        payload={
            "version": version,
            "previous_version": champion.version if champion else None,
            "pooled": challenger.practice_id is None,
        },
    )
    return Promotion(
        version=version,
        practice_id=challenger.practice_id,
        previous_version=champion.version if champion else None,
        challenger_auc=challenger_auc,
        champion_auc=champion_auc,
        forced=force,
        event_id=event_id,
    )


async def promote_and_announce(
    domain: Domain, version: str, *, actor: audit.Actor, force: bool = False, reason: str | None = None
) -> Promotion:
    """Promote in one transaction, then wake every process so each hot-swaps to the new champion."""
    async with domain.sessionmaker() as session, session.begin():
        promotion = await promote(session, version, actor=actor, force=force, reason=reason)
    if promotion.event_id is not None:
        await domain.announcer.announce([promotion.event_id])
    return promotion


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
        .where(_scope(row.practice_id), ModelVersion.holdout.is_not(None))
        .order_by(ModelVersion.created_at.desc())
        .limit(1)
    )
    if newest is None or newest.holdout is None:
        raise UnknownModelVersion(f"no stored holdout for the scope of {version}")
    features, labels = unpack_holdout(newest.holdout)
    return Evaluation(
        version, newest.version, holdout_auc(row.onnx_model, features, labels), int(labels.size)
    )


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
        Lead.received_at >= utcnow() - timedelta(days=DRIFT_WINDOW_DAYS),
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
