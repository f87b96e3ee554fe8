"""Re-encryption of every PHI field not sealed under the current key in the current format.

Used for key rotation (`leadrouter keys rotate`) and once by migration 0010, which binds values
sealed in the first format (associated data: a kind) to their column and row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.crypto import FieldCipher, PhiColumn
from router.core.domain import Domain
from router.core.models import Base
from router.core.phi_columns import PHI_COLUMNS

BATCH_SIZE = 500
"""Rows re-encrypted per transaction: small enough not to hold locks on busy leads for long."""
FILE_BATCH_SIZE = 5
"""Rows of a file column (up to 10 MB each) per transaction: a batch stays within tens of megabytes."""


@dataclass(frozen=True)
class EncryptedColumn:
    """A column of ciphertext, its table and what its values are bound to."""

    table: Table
    column: str
    phi: PhiColumn

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"

    @property
    def key_column(self) -> Column[Any]:
        return self.table.primary_key.columns.values()[0]


ENCRYPTED_COLUMNS: list[EncryptedColumn] = [
    EncryptedColumn(Base.metadata.tables[phi.table], phi.column, phi) for phi in PHI_COLUMNS
]
"""Every encrypted column (router/core/phi_columns.py names them)."""


def reseal_batch(
    cipher: FieldCipher, rows: list[Any], target: EncryptedColumn
) -> list[tuple[Any, bytes | None]]:
    """(row id, new ciphertext) for the rows of a batch not yet current."""
    return [
        (row_id, cipher.reseal(ciphertext, column=target.phi, row_id=row_id))
        for row_id, ciphertext in rows
        if not cipher.is_current(ciphertext)
    ]


async def rotate_phi_key(
    domain: Domain, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Re-encrypt under the current key; returns how many values were re-encrypted per column."""
    counts: dict[str, int] = {}
    for target in ENCRYPTED_COLUMNS:
        counts[target.name] = 0
        column, key_column = target.table.c[target.column], target.key_column
        last_key = None
        while True:
            async with domain.transaction() as session:
                size = FILE_BATCH_SIZE if target.phi.binary else BATCH_SIZE
                rows = await _batch(session, target.table, key_column, column, last_key, size)
                if not rows:
                    break
                last_key = rows[-1][0]
                for row_id, ciphertext in reseal_batch(domain.cipher, rows, target):
                    await session.execute(
                        update(target.table).where(key_column == row_id).values({target.column: ciphertext})
                    )
                    counts[target.name] += 1
            if progress:
                progress(target.name, counts[target.name])
    return counts


async def _batch(session: AsyncSession, table: Table, key_column, column, after, size) -> list:  # type: ignore[no-untyped-def]
    query = select(key_column, column).where(column.is_not(None)).order_by(key_column).limit(size)
    if after is not None:
        query = query.where(key_column > after)
    return list((await session.execute(query)).all())
