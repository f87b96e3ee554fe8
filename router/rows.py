"""Core INSERTs of new rows for the intake's hot path: no unit-of-work flush, one round trip."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Insert, Table, bindparam, insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import Base


def _inserted_columns(table: Table) -> list[Column[Any]]:
    """Every column a new row gives a value for; server-generated ones (identities, now()) are left out."""
    return [
        column
        for column in table.columns
        if column.identity is None and not (column.server_default is not None and column.default is None)
    ]


def _value(row: Base, column: Column[Any]) -> Any:
    key = inspect(type(row)).get_property_by_column(column).key
    if key in row.__dict__:
        return row.__dict__[key]
    default = column.default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]


def _build(tables: tuple[Table, ...]) -> Insert:
    """INSERT of the first table with the others as data-modifying CTEs: one statement, one round trip.

    Foreign keys between them hold because PostgreSQL checks them at the end of the statement.
    """
    parts = [
        insert(table).values(
            {c.name: bindparam(f"r{i}_{c.name}", type_=c.type) for c in _inserted_columns(table)}
        )
        for i, table in enumerate(tables)
    ]
    statement = parts[0]
    for i, part in enumerate(parts[1:], start=1):
        statement = statement.add_cte(part.cte(f"new_row_{i}"))
    return statement


_STATEMENTS: dict[tuple[str, ...], Insert] = {}
"""One combined INSERT per sequence of tables, built on first use and reused (compiled once)."""


async def insert_rows(session: AsyncSession, *rows: Base) -> None:
    """INSERT new rows of any tables together, skipping the unit of work (the hot path's biggest cost)."""
    tables = tuple(type(row).__table__ for row in rows)
    key = tuple(table.name for table in tables)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = _build(tables)  # type: ignore[arg-type]
    params = {
        f"r{i}_{column.name}": _value(row, column)
        for i, (row, table) in enumerate(zip(rows, tables, strict=True))
        for column in _inserted_columns(table)  # type: ignore[arg-type]
    }
    await session.execute(statement, params)
