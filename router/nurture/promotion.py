"""One-click promotion of an A/B test's winner: the winning message becomes the step's only one.

Only a declared winner can be promoted (router/nurture/abtest.py: the planned sample reached and
p < 0.05); before that the refusal says where the test stands. Promoting saves the sequence's next
version with the step's test removed, so new leads get the winner only; leads already in the
sequence finish the version they started, as with every edit. It is a manager's decision: the
`nurture.approve` action, audited with the verdict it rested on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from router.core.domain import Domain
from router.core.errors import ActionRefused, InvalidFields
from router.nurture.results import sequence_result
from router.nurture.sequences import current_version, lock_sequence, new_version
from router.privacy import audit
from router.privacy.access import Viewer, require


@dataclass(frozen=True)
class Promoted:
    winner: str
    template: str
    version: int


async def promote_winner(
    domain: Domain, viewer: Viewer, sequence_id: uuid.UUID, step_number: int, *, actor: audit.Actor
) -> Promoted:
    """Make the step's winning variant its only message (refused while there is no winner)."""
    require(viewer, "nurture.approve")
    async with domain.sessionmaker() as session, session.begin():
        sequence = await lock_sequence(session, viewer, sequence_id)
        steps = [dict(step) for step in (await current_version(session, sequence)).steps]
        index = step_number - 1
        if not 0 <= index < len(steps):
            raise InvalidFields({"step": "Choose one of the steps."})
        step = steps[index]
        if not step.get("variant_template"):
            raise ActionRefused(f"Step {step_number} has no A/B test running.")
        verdict = (await sequence_result(session, sequence.id, len(steps))).verdicts.get(index)
        if verdict is None or verdict.winner is None:
            said = verdict.words if verdict else "Neither variant has been sent yet."
            raise ActionRefused(f"There is no winner to promote yet. {said}")
        variant = step.pop("variant_template")
        if verdict.winner == "B":
            step["template"] = variant
        version = await new_version(session, domain, viewer, sequence, steps)
        audit.record(
            session,
            actor=actor,
            action="nurture.ab_promote",
            practice_id=sequence.practice_id,
            details={
                "sequence_id": str(sequence.id),
                "step": step_number,
                "winner": verdict.winner,
                "template": step["template"],
                "p_value": verdict.p_value,
                "version": version.version,
            },
        )
    return Promoted(verdict.winner, str(step["template"]), version.version)
