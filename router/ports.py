"""What the domain needs from the outside, declared here and implemented by realtime/ and the worker."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from scoring.features import ScoringInput


class EventAnnouncer(Protocol):
    """Rings the doorbell of every hub after domain events commit (may drop: the table is the truth)."""

    async def announce(self, event_ids: Sequence[int]) -> None: ...


class JobScheduler(Protocol):
    """Defers domain work to the background worker, with ids only in the job arguments."""

    async def schedule_escalation(self, lead_id: uuid.UUID, *, level: int, at: datetime) -> None: ...

    async def schedule_explanation(self, lead_id: uuid.UUID) -> None: ...


@dataclass(frozen=True)
class LeadScore:
    """A model's verdict on a lead."""

    value: int
    version: str
    pooled: bool
    """Scored by the pooled model because the practice has no promoted model of its own."""


class LeadScorer(Protocol):
    """Scores a lead in-process; None means there is no model yet and the lead shows as unscored."""

    def score(self, practice_id: uuid.UUID, scoring_input: ScoringInput) -> LeadScore | None: ...

    def explain(
        self, practice_id: uuid.UUID, scoring_input: ScoringInput, version: str
    ) -> list[str] | None: ...


class NoScorer:
    """The scorer before any model is promoted: every lead is unscored."""

    def score(self, practice_id: uuid.UUID, scoring_input: ScoringInput) -> LeadScore | None:
        return None

    def explain(self, practice_id: uuid.UUID, scoring_input: ScoringInput, version: str) -> list[str] | None:
        return None


class NullAnnouncer:
    """Announces nothing (CLI tools that write no live data)."""

    async def announce(self, event_ids: Sequence[int]) -> None:
        return None
