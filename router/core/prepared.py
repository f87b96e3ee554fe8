"""Hot-path statements compiled once by SQLAlchemy and run on the session's asyncpg connection.

SQLAlchemy builds the SQL (typed parameters, casts, JSON serialization); what it would redo for every
execution (cache-key generation, an execution context, result machinery: about half of the intake's
database time) is skipped by sending the compiled text straight to asyncpg, which keeps it prepared
per connection. Used where a statement runs for every inquiry; everything else goes through the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ClauseElement


class DatabaseUnavailable(ConnectionError):
    """PostgreSQL went away mid-statement (the web layer answers 503 with Retry-After)."""


_CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
)


_Compiled = tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...], dict[str, Any]]
"""SQL text with $n placeholders, the parameter name of each $n, each one's bind processor, and the
values the statement itself carries (`kind == "contact_attempt"`), used when the caller gives none."""


class PreparedStatement:
    """A Core statement compiled for asyncpg on first use: SQL text, argument order, bind processors."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: _Compiled | None = None

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        processors = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        )
        carried = {
            name: compiled.binds[name].effective_value for name in names if not compiled.binds[name].required
        }
        self._compiled = (compiled.string, names, processors, carried)
        return self._compiled

    def sql_and_args(self, dialect: Dialect, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        sql, names, processors, carried = self._compiled or self._compile(dialect)
        args = [params.get(name, carried[name]) if name in carried else params[name] for name in names]
        for i, process in enumerate(processors):
            if process is not None and args[i] is not None:
                args[i] = process(args[i])
        return sql, args

    async def fetch(
        self, session: AsyncSession, params: Mapping[str, Any], *, own_transaction: bool = False
    ) -> Sequence[asyncpg.Record]:
        """Run on the session's connection: inside the transaction the session's own statements began,
        else (nothing run through the session since its last commit or rollback) as its own transaction.

        `own_transaction` insists on the latter: a write whose caller answers "stored" as soon as it
        returns must not be left waiting on a commit that may never come.
        """
        connection = await session.connection()
        sql, args = self.sql_and_args(connection.dialect, params)
        driver = (await connection.get_raw_connection()).driver_connection
        if own_transaction and driver.is_in_transaction():  # type: ignore[union-attr]
            raise RuntimeError("a statement meant to commit on its own was run inside a transaction")
        try:
            return await driver.fetch(sql, *args)  # type: ignore[union-attr]
        except Exception as exc:
            # A connection PostgreSQL dropped while it sat in the pool (a restart, a failover) fails
            # its next statement with a protocol error rather than a connection error: both mean
            # "gone". The pool replaces it; the sender retries on the 503.
            if isinstance(exc, _CONNECTION_LOST) or driver.is_closed():  # type: ignore[union-attr]
                await connection.invalidate(exc)
                # Its pooled siblings went with it: start a fresh pool, as SQLAlchemy itself does on
                # a disconnect, so one request answers 503 rather than one per pooled connection.
                await connection.engine.dispose(close=False)
                raise DatabaseUnavailable(str(exc)) from exc
            raise
