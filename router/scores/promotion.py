"""Promoting a trained version to serve a practice (the paired comparison rule), and rolling back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.clock import utcnow
from router.core.domain import Domain
from router.core.events import record_event
from router.core.models import ModelVersion
from router.privacy import audit
from router.scores.registry import (
    UnknownModelVersion,
    active_version,
    calibrated_probabilities,
    get_version,
    json_safe,
    serving_version,
    unpack_holdout,
    version_scope,
)
from scoring.promotion import PromotionCheck, promotion_check


class PromotionRefused(Exception):
    """The challenger failed the promotion rule on its holdout (and no override was given)."""


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
    check: PromotionCheck | None = None
    compared_with: str | None = None  # the version judged against (the pooled one for a practice's first)


def _check(challenger: ModelVersion, champion: ModelVersion | None) -> PromotionCheck:
    """The promotion rule on the challenger's holdout (`PromotionRefused` without one to judge on)."""
    if challenger.holdout is None:
        raise PromotionRefused(f"{challenger.version} has no stored holdout to judge it on")
    features, labels = unpack_holdout(challenger.holdout)
    candidate = calibrated_probabilities(challenger, features)
    return promotion_check(
        labels, candidate, calibrated_probabilities(champion, features) if champion is not None else None
    )


def judge(challenger: ModelVersion, champion: ModelVersion | None) -> PromotionCheck:
    """The promotion rule on the challenger's holdout, without promoting (the models page shows it)."""
    return _check(challenger, champion)


async def promote(
    session: AsyncSession,
    version: str,
    *,
    actor: audit.Actor,
    force: bool = False,
    reason: str | None = None,
) -> Promotion:
    """Make `version` its practice's champion if it passes the rule; `force` needs a reason."""
    if force and not (reason and reason.strip()):
        raise ValueError("a forced promotion needs a reason for the audit log")
    challenger = await get_version(session, version, for_update=True)
    champion = await active_version(session, challenger.practice_id, for_update=True)
    if champion is not None and champion.id == challenger.id:
        return Promotion(version, challenger.practice_id, version, None, None, False, None)
    serving = champion or await serving_version(session, challenger.practice_id)
    check = _check(challenger, serving)
    comparison = check.comparison
    if not check.promote and not force:
        against = f" against {serving.version}" if serving is not None else ""
        raise PromotionRefused(f"{version}{against}: " + "; ".join(check.reasons))
    challenger.card = {
        **challenger.card,
        "promotion_check": json_safe(check.as_dict()),
        "compared_with": serving.version if serving is not None else None,
    }
    if champion is not None:
        champion.status = "retired"
        await session.flush([champion])  # leave the one-active-per-practice index before the new one enters
    now = utcnow()
    challenger.status = "active"
    challenger.promoted_at = now
    challenger.promoted_by = actor.id
    challenger_auc = comparison.candidate_auc if comparison else None
    champion_auc = comparison.champion_auc if comparison else None
    if force:
        audit.record(
            session,
            actor=actor,
            action="model.promote_forced",
            practice_id=challenger.practice_id,
            details=json_safe(
                {
                    "version": version,
                    "replaced": champion.version if champion else None,
                    "challenger_auc": challenger_auc,
                    "champion_auc": champion_auc,
                    "rule_said": list(check.reasons),
                    "reason": reason,
                }
            ),
        )
    event_id = await record_swap(session, challenger, replaced=champion)
    return Promotion(
        version=version,
        practice_id=challenger.practice_id,
        previous_version=champion.version if champion else None,
        challenger_auc=challenger_auc,
        champion_auc=champion_auc,
        forced=force,
        event_id=event_id,
        check=check,
        compared_with=serving.version if serving is not None else None,
    )


async def record_swap(session: AsyncSession, active: ModelVersion, *, replaced: ModelVersion | None) -> int:
    """The `model.promoted` event every serving process follows."""
    return await record_event(
        session,
        kind="model.promoted",
        practice_id=active.practice_id,
        location_id=None,
        lead_id=None,
        payload={
            "version": active.version,
            "previous_version": replaced.version if replaced else None,
            "pooled": active.practice_id is None,
        },
    )


async def roll_back(
    session: AsyncSession,
    practice_id: uuid.UUID | None,
    *,
    actor: audit.Actor,
    reason: str,
    to_version: str | None = None,
) -> Promotion:
    """Restore an earlier version of this scope (the last retired, or `to_version`): no rule, a reason."""
    if not (reason and reason.strip()):
        raise ValueError("a rollback needs a reason for the audit log")
    current = await active_version(session, practice_id, for_update=True)
    if to_version is not None:
        target = await get_version(session, to_version, for_update=True)
        if target.practice_id != practice_id:
            raise ValueError(f"{to_version} belongs to another practice")
    else:
        target = await session.scalar(
            select(ModelVersion)
            .where(version_scope(practice_id), ModelVersion.status == "retired")
            .order_by(ModelVersion.promoted_at.desc().nulls_last())
            .limit(1)
            .with_for_update()
        )
        if target is None:
            raise UnknownModelVersion("no earlier version to roll back to")
    if current is not None and current.id == target.id:
        raise ValueError(f"{target.version} is already the active version")
    if current is not None:
        current.status = "retired"
        await session.flush([current])
    target.status = "active"
    target.promoted_at = utcnow()
    target.promoted_by = actor.id
    audit.record(
        session,
        actor=actor,
        action="model.rolled_back",
        practice_id=practice_id,
        details={
            "version": target.version,
            "replaced": current.version if current else None,
            "reason": reason,
        },
    )
    event_id = await record_swap(session, target, replaced=current)
    return Promotion(
        version=target.version,
        practice_id=practice_id,
        previous_version=current.version if current else None,
        challenger_auc=None,
        champion_auc=None,
        forced=True,
        event_id=event_id,
    )


async def roll_back_and_announce(
    domain: Domain,
    practice_id: uuid.UUID | None,
    *,
    actor: audit.Actor,
    reason: str,
    to_version: str | None = None,
) -> Promotion:
    """Roll back in one transaction, then wake every process so each swaps to the restored version."""
    async with domain.transaction() as session:
        promotion = await roll_back(session, practice_id, actor=actor, reason=reason, to_version=to_version)
    return promotion


async def promote_and_announce(
    domain: Domain, version: str, *, actor: audit.Actor, force: bool = False, reason: str | None = None
) -> Promotion:
    """Promote in one transaction, then wake every process so each hot-swaps to the new champion."""
    async with domain.transaction() as session:
        promotion = await promote(session, version, actor=actor, force=force, reason=reason)
    return promotion
