"""Rotation of the PHI encryption key: re-encrypt every field not sealed under the current key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import ConsentRecord, FormSourceSecret, Interaction, Lead, SmsMessage, Touchpoint

BATCH_SIZE = 500
"""Rows re-encrypted per transaction: small enough not to hold locks on busy leads for long."""


@dataclass(frozen=True)
class EncryptedColumn:
    """A column of ciphertext and the associated-data context it was sealed with."""

    table: Table
    column: str
    context: str


ENCRYPTED_COLUMNS: list[EncryptedColumn] = [
    *(
        EncryptedColumn(Lead.__table__, c, "lead")
        for c in ("first_name_enc", "last_name_enc", "phone_enc", "email_enc", "date_of_birth_enc")
    ),
    EncryptedColumn(Touchpoint.__table__, "message_enc", "lead"),
    EncryptedColumn(Interaction.__table__, "note_enc", "lead"),
    EncryptedColumn(ConsentRecord.__table__, "ip_enc", "consent"),
    EncryptedColumn(FormSourceSecret.__table__, "secret_encrypted", "form_source_secret"),
    EncryptedColumn(SmsMessage.__table__, "phone_enc", "lead"),
    EncryptedColumn(SmsMessage.__table__, "body_enc", "lead"),
]
"""Every encrypted column; a part of the product that adds one registers it here."""


async def rotate_phi_key(
    domain: Domain, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Re-encrypt under the current key; returns how many values were re-encrypted per column."""
    counts: dict[str, int] = {}
    current = domain.cipher.current_key_id
    for target in ENCRYPTED_COLUMNS:
        name = f"{target.table.name}.{target.column}"
        counts[name] = 0
        column = target.table.c[target.column]
        key_column = target.table.primary_key.columns.values()[0]
        last_key = None
        while True:
            async with domain.sessionmaker() as session, session.begin():
                rows = await _batch(session, target.table, key_column, column, last_key)
                if not rows:
                    break
                for row_key, ciphertext in rows:
                    last_key = row_key
                    if domain.cipher.key_id_of(ciphertext) == current:
                        continue
                    await session.execute(
                        update(target.table)
                        .where(key_column == row_key)
                        .values({target.column: domain.cipher.reencrypt(ciphertext, context=target.context)})
                    )
                    counts[name] += 1
            if progress:
                progress(name, counts[name])
    return counts


async def _batch(session: AsyncSession, table: Table, key_column, column, after) -> list:  # type: ignore[no-untyped-def]
    query = select(key_column, column).where(column.is_not(None)).order_by(key_column).limit(BATCH_SIZE)
    if after is not None:
        query = query.where(key_column > after)
    return list((await session.execute(query)).all())
