"""What the hub sends: pre-rendered pushes, one per event, and who may receive each."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from router.privacy.access import Viewer


@dataclass(frozen=True, slots=True)
class CommittedEvent:
    """What the hub reads of a committed domain event: enough to render and route it."""

    id: int
    kind: str
    practice_id: uuid.UUID | None
    location_id: uuid.UUID | None
    lead_id: uuid.UUID | None
    created_at: datetime


@dataclass(frozen=True)
class Push:
    """One event's fragment, rendered once and sent to every board whose viewer may see it."""

    event_id: int
    kind: str
    html: str
    practice_id: uuid.UUID | None
    location_id: uuid.UUID | None
    lead_id: uuid.UUID | None = None
    overflow: bool = False
    """The lead is in the overflow queue (overflow agents receive only those)."""
    referring_physician_id: uuid.UUID | None = None
    referring_office_id: uuid.UUID | None = None

    def reaches(self, viewer: Viewer) -> bool:
        """Whether this push belongs on the viewer's board: the one lead-visibility rule, nothing else."""
        return viewer.may_see(self)


Receiver = tuple[uuid.UUID, str | None, uuid.UUID | None]
"""Who received a push: user, session key, and the break-glass grant that let them see it (if any)."""


@dataclass(frozen=True)
class Heartbeat:
    """A liveness beat carrying the hub's position: a board has received all it may see up to it."""

    position: int


@dataclass(frozen=True)
class Closing:
    """Ask a board's sender to close its socket."""

    code: int
    reason: str


class BoardRenderer(Protocol):
    """Turns committed events into pushes; implemented by the web app, which owns the markup."""

    async def render(self, events: Sequence[CommittedEvent]) -> list[Push]: ...

    def heartbeat(self, position: int) -> str: ...

    def reset(self, reason: str) -> str: ...
