"""One unit of work: a transaction whose recorded events ring the boards once it has committed.

Every action writes through `domain.transaction()`:

    async with domain.transaction() as session:
        ...                                   # the action's writes
        await record_event(session, ...)      # the transaction's last write (router/core/events.py)
    # committed: the hubs have been rung with the events recorded above

`record_event` notes each event id in the session; after a commit the unit of work hands them to
`domain.announcer.announce`, so no action can forget to ring and none rings for a rolled-back
transaction. The doorbell may still be lost (Redis down): the event table is the truth and the hubs
replay from it, which is why ringing after commit, never before, is all the ordering a board needs.

Intake is the one variant: it answers the form's sender first and rings afterwards, keeping the
fan-out off the response path. Its writes end in explicit commits (a new lead is one hand-tuned
statement, router/intake/new_lead.py), so it carries the committed event ids in its result and rings
them with `ring_after_answer` once the answer is on its way (router/intake/pipeline.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

if TYPE_CHECKING:
    from router.core.ports import EventAnnouncer

log = logging.getLogger(__name__)

RECORDED_EVENTS = "recorded_event_ids"
"""The key in `session.info` under which `record_event` notes the ids of its transaction's events."""


def note_event(session: AsyncSession, event_id: int) -> None:
    """Remember an event written in this session's transaction, to be announced after its commit."""
    session.info.setdefault(RECORDED_EVENTS, []).append(event_id)


def recorded_events(session: AsyncSession) -> tuple[int, ...]:
    """The events noted in this session so far."""
    return tuple(session.info.get(RECORDED_EVENTS, ()))


class UnitOfWork:
    """`async with` yields a session inside `session.begin()`; on commit the recorded events ring."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        announcer: EventAnnouncer,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._announcer = announcer
        self._stack: AsyncExitStack | None = None
        self._session: AsyncSession | None = None
        self.event_ids: tuple[int, ...] = ()
        """The events of the committed transaction (empty until it commits, and after a rollback)."""

    async def __aenter__(self) -> AsyncSession:
        async with AsyncExitStack() as stack:
            session = await stack.enter_async_context(self._sessionmaker())
            await stack.enter_async_context(session.begin())
            self._stack, self._session = stack.pop_all(), session
        return session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._stack is not None and self._session is not None
        stack, session, self._stack = self._stack, self._session, None
        await stack.__aexit__(exc_type, exc, traceback)  # commits, or rolls back and re-raises
        if exc_type is not None:
            return
        self.event_ids = recorded_events(session)
        if self.event_ids:
            await self._announcer.announce(self.event_ids)


async def ring_after_answer(announcer: EventAnnouncer, event_ids: Sequence[int]) -> None:
    """Ring for events committed before the answer went out; a failure only logs (the hubs replay)."""
    if not event_ids:
        return
    try:
        await announcer.announce(event_ids)
    except Exception:  # the answer is sent and the events are committed: replay catches up
        log.exception("could not ring the hubs for events %s; they replay from the table", list(event_ids))
