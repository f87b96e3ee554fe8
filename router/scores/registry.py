"""The model registry: trained lead-score versions, the promotion rule, and score drift.

A version is stored as a candidate with its metrics, card, ONNX and booster bytes, reference scores
and its holdout (feature matrix and outcomes, no PHI). A challenger replaces the model serving its
practice (the practice's champion, else the pooled one) by `scoring.promotion_rule`'s rule, both judged on
the challenger's own holdout: the 95% interval of the AUC difference must lie above -0.01 and the
challenger's calibration slope within 0.9-1.1. The check is kept on the challenger's card. A manager
may override the rule with a reason, and may always roll back to an earlier version with a reason;
both go to the audit log. Functions take a session and leave the commit to the caller;
`promote_and_announce` and `roll_back_and_announce` commit and ring the doorbell so every process
swaps to the new version.
"""

from __future__ import annotations

import io
import math
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from router.core.clock import clock_of
from router.core.models import ModelVersion
from scoring.export import onnx_probabilities
from scoring.features import feature_matrix
from scoring.serving import ModelRuntime
from scoring.training import TrainingResult

_LARGE_COLUMNS = (ModelVersion.onnx_model, ModelVersion.booster, ModelVersion.holdout)


class UnknownModelVersion(LookupError):
    """No stored model has this version."""


def json_safe(value: Any) -> Any:
    """JSONB refuses NaN and infinity (e.g. a quartile ratio over an empty bottom quartile): store null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def pack_holdout(features: np.ndarray, labels: np.ndarray) -> bytes:
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


def version_scope(practice_id: uuid.UUID | None) -> Any:
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
        metrics=json_safe(result.metrics),
        card_markdown=result.card_markdown,
        card=json_safe(card),
        feature_names=list(result.feature_names),
        onnx_model=result.onnx_bytes,
        booster=result.booster_bytes,
        reference_scores=list(result.score_reference_distribution),
        holdout=pack_holdout(feature_matrix(result.holdout_inputs), result.holdout_labels),
        created_at=clock_of(session).now(),
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
    query = select(ModelVersion).where(version_scope(practice_id), ModelVersion.status == "active")
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


def calibrated_probabilities(row: ModelVersion, features: np.ndarray) -> np.ndarray:
    """A stored version's served probabilities (ONNX, then the calibration on its card) for many leads."""
    calibration = row.card.get("calibration") or {}
    raw = np.clip(onnx_probabilities(row.onnx_model, features), 1e-7, 1 - 1e-7)
    margin = np.log(raw / (1 - raw))
    logit = float(calibration.get("slope", 1.0)) * margin + float(calibration.get("intercept", 0.0))
    return 1.0 / (1.0 + np.exp(-logit))


async def serving_version(
    session: AsyncSession, practice_id: uuid.UUID | None, *, for_update: bool = False
) -> ModelVersion | None:
    """The version scoring a practice's leads now: its own champion, else the pooled one."""
    own = await active_version(session, practice_id, for_update=for_update)
    if own is None and practice_id is not None:
        return await active_version(session, None, for_update=for_update)
    return own
