"""What a database failure means to the caller: try again now, come back later, or a bug.

PostgreSQL's answers reach us in three shapes: asyncpg's own exceptions (the hot statements of
router/prepared.py), SQLAlchemy's wrappers around them (everything else), and plain socket errors.
These functions look through all three, by SQLSTATE where the server gave one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import asyncpg
from sqlalchemy.exc import TimeoutError as PoolTimeout

from router.core.prepared import DatabaseUnavailable

LOCK_CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})
"""serialization_failure and deadlock_detected: PostgreSQL rolled the transaction back and says that
running it again will most likely succeed."""

UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57P", "58")
"""Connection exceptions, insufficient resources (too many connections, disk full), operator
intervention (shutting down, starting up, crashed) and system errors: the server cannot do the work
now, whatever we send."""

UNAVAILABLE_SQLSTATES = frozenset({"25006"})
"""read_only_sql_transaction: a standby promoted too late, or a primary turned read-only for
maintenance; the same write succeeds once a writable primary is back."""

UNANSWERED_SQLSTATES = frozenset({"57P01", "57P02"})
"""admin_shutdown and crash_shutdown end the connection without saying whether the statement in
flight committed (a fast shutdown may strike between the commit and its answer)."""


class WriteOutcomeUnknown(DatabaseUnavailable):
    """The connection broke after a write was sent: it may have committed. Retry idempotently."""


class NothingWritten(DatabaseUnavailable):
    """The database could not take the write, and nothing of it was committed."""


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (SQLAlchemy's `.orig`) and what caused it, each once."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([getattr(current, "orig", None), current.__cause__, current.__context__])


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE PostgreSQL answered with, if the failure came from the server."""
    for cause in _causes(exc):
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
    return None


def is_lock_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure: the transaction was rolled back; run it again."""
    return sqlstate(exc) in LOCK_CONFLICT_SQLSTATES


def _connection_lost(exc: BaseException) -> bool:
    return any(
        isinstance(
            cause,
            DatabaseUnavailable
            | OSError
            | asyncio.TimeoutError
            | PoolTimeout
            | asyncpg.InterfaceError
            # The driver's own state machine, when the server vanished mid-operation ("cannot switch to
            # state 15; another operation is in progress"): seen during PostgreSQL's immediate stop.
            | asyncpg.InternalClientError
            | asyncpg.PostgresConnectionError,
        )
        for cause in _causes(exc)
    )


def is_unavailable(exc: BaseException) -> bool:
    """PostgreSQL cannot do this work now (down, starting, read-only, overloaded, or a lock conflict
    that retrying in the request did not resolve): the caller should come back in a few seconds."""
    state = sqlstate(exc)
    if state is not None and (
        state in UNAVAILABLE_SQLSTATES
        or state in LOCK_CONFLICT_SQLSTATES
        or state.startswith(UNAVAILABLE_SQLSTATE_CLASSES)
    ):
        return True
    return _connection_lost(exc)


def outcome_unknown(exc: BaseException) -> bool:
    """A failure during a commit (or a statement that commits itself) whose result never arrived.

    A server error answering the statement means it was rolled back; a broken connection or a
    shutdown notice means we cannot tell.
    """
    state = sqlstate(exc)
    if state is not None and not state.startswith("08") and state not in UNANSWERED_SQLSTATES:
        return False
    return is_unavailable(exc)


class FailureLog:
    """Logs a repeating background operation's failures once until it works again.

    A database outage is one warning line (no traceback: the cause is known and it retries); any
    other failure is logged with its traceback, once, since it is a fault to read. When the
    operation works again, one line says after how long.
    """

    def __init__(self, log: logging.Logger, what: str) -> None:
        self._log, self._what = log, what
        self.failing_since: float | None = None
        """When the current run of failures began (None: the last attempt worked)."""

    def failed(self, exc: BaseException, consequence: str = "") -> None:
        if self.failing_since is not None:
            return
        self.failing_since = time.monotonic()
        after = f"; {consequence}" if consequence else ""
        if is_unavailable(exc):
            self._log.warning("%s paused (database unavailable: %s)%s", self._what, type(exc).__name__, after)
        else:
            self._log.error("%s failed%s", self._what, after, exc_info=exc)

    def worked(self) -> None:
        if self.failing_since is None:
            return
        self._log.warning("%s works again after %.0f s", self._what, time.monotonic() - self.failing_since)
        self.failing_since = None
