"""Core INSERTs of new rows, for the intake's hot path (no unit-of-work flush)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import Base


async def insert_rows(session: AsyncSession, *rows: Base) -> None:
    """INSERT new rows with Core statements, skipping the unit of work (the hot path's biggest cost)."""
    for row in rows:
        table = type(row).__table__
        statement = _INSERTS.get(table.name)
        if statement is None:
            statement = _INSERTS[table.name] = table.insert()
        columns = inspect(row).mapper.column_attrs
        values = {attr.key: getattr(row, attr.key) for attr in columns if attr.key in row.__dict__}
        await session.execute(statement, values)


_INSERTS: dict[str, Any] = {}
"""One INSERT statement per table, built on first use and reused (compiled once)."""


_INSERTS: dict[str, Any] = {}
"""One INSERT statement per table, built on first use and reused (compiled once)."""
