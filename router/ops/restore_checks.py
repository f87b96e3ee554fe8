"""What a backup needs and what a restore must prove: the PHI keys that sealed the data, a sample of
values that decrypt with the configured keys, and an audit chain that verifies."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from router.core.crypto import FieldCipher, KeyringError, PhiColumn
from router.core.models import AuditRecord
from router.core.phi_columns import PHI_COLUMNS
from router.core.settings import SecuritySettings
from router.privacy.audit import chain_key
from router.privacy.audit_chain import VerifyReport, read_heads, verify_chain

SAMPLE_PER_COLUMN = 25
"""Values decrypted per encrypted column after a restore: enough that a wrong or missing key shows
(each value names its key), few enough that the check takes a second on any size of database."""


def _key_ids_sql(column: PhiColumn) -> str:
    # A sealed value is `version | key id | . | nonce | ciphertext`; key ids never contain a dot.
    value = f'"{column.column}"'
    rest = f"substring({value} FROM 2)"
    key_id = f"substring({rest} FOR position('\\x2e'::bytea IN {rest}) - 1)"
    return (
        f"SELECT convert_from({key_id}, 'UTF8') AS key_id, "
        f'count(*) FROM "{column.table}" WHERE {value} IS NOT NULL GROUP BY 1'
    )


async def key_ids_in_use(session: AsyncSession | AsyncConnection) -> dict[str, int]:
    """How many encrypted values each PHI key sealed, over every encrypted column."""
    counts: dict[str, int] = {}
    for column in PHI_COLUMNS:
        for key_id, count in (await session.execute(text(_key_ids_sql(column)))).all():
            counts[key_id] = counts.get(key_id, 0) + int(count)
    return counts


def missing_keys(needed: dict[str, int] | list[str], cipher: FieldCipher) -> list[str]:
    """The key ids the data needs that the configured keys do not include, sorted."""
    return sorted(key_id for key_id in needed if key_id not in cipher.keys)


@dataclass
class PhiSample:
    """What decrypting a sample of each encrypted column found."""

    checked: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


async def decrypt_sample(
    session: AsyncSession, cipher: FieldCipher, per_column: int = SAMPLE_PER_COLUMN
) -> PhiSample:
    """Open up to `per_column` values of every encrypted column with the configured keys."""
    sample = PhiSample()
    for column in PHI_COLUMNS:
        rows = await session.execute(
            text(
                f'SELECT id, "{column.column}" FROM "{column.table}" '
                f'WHERE "{column.column}" IS NOT NULL ORDER BY id LIMIT :n'
            ),
            {"n": per_column},
        )
        for row_id, value in rows.all():
            sample.checked += 1
            try:
                cipher.open(bytes(value), column=column, row_id=row_id)
            except (InvalidTag, KeyringError) as exc:
                reason = "the key does not open it" if isinstance(exc, InvalidTag) else str(exc)
                sample.failures.append(f"{column.table}.{column.column} of row {row_id}: {reason}")
    return sample


async def verify_restored_chain(
    session: AsyncSession, security: SecuritySettings, *, heads_file: str | None = None
) -> VerifyReport:
    """The audit chain with the configured key; exported heads past the backup's newest row are
    skipped (they were exported after the backup was taken), every other one must match."""
    newest = await session.scalar(select(func.max(AuditRecord.chain_seq))) or 0
    exported = read_heads(heads_file if heads_file is not None else security.audit_head_file)
    heads = [head for head in exported if head.seq <= newest]
    return await verify_chain(session, key=chain_key(security.audit_key), heads=heads)
