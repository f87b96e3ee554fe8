"""Checking the audit chain, and shipping its head out of the database where nobody can take it back.

The chain alone shows an edited or removed row in the middle, and (being keyed) a forged link. It
cannot show that its newest rows were deleted, or that the whole table was emptied and restarted:
that is what the exported heads are for. Every minute the worker appends the current head (sequence
number, row id, hash, time) to an append-only sink outside the database (a file by default, syslog
optionally), and `verify_chain` checks every exported head against the table.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.core.clock import clock_of
from router.core.models import AuditRecord
from router.core.settings import SecuritySettings
from router.privacy.audit import CHAIN_KEYED_ACTION, GENESIS_HASH, chain_hash, legacy_chain_hash

log = logging.getLogger("leadrouter.audit")


@dataclass(frozen=True)
class ChainHead:
    """The newest sealed link at one moment."""

    seq: int
    row_id: int
    row_hash: str
    """Hex of the link's HMAC."""
    at: str
    """When it was exported (ISO 8601, UTC)."""

    def line(self) -> str:
        return json.dumps(
            {"seq": self.seq, "row_id": self.row_id, "hash": self.row_hash, "at": self.at}, sort_keys=True
        )


async def current_head(session: AsyncSession) -> ChainHead | None:
    """The newest sealed row as a head, or None while nothing is sealed."""
    row = (
        await session.execute(
            select(AuditRecord.chain_seq, AuditRecord.id, AuditRecord.row_hash)
            .where(AuditRecord.chain_seq.is_not(None))
            .order_by(AuditRecord.chain_seq.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return ChainHead(int(row[0]), int(row[1]), bytes(row[2]).hex(), clock_of(session).now().isoformat())


@dataclass
class HeadSink:
    """Where heads go: a file opened for appending only (fsynced), and optionally syslog."""

    path: str
    syslog_address: str = ""
    """`/dev/log`, or `host:port` (UDP) of a collector; empty for none."""
    _last_exported: int | None = field(default=None, repr=False)

    def append(self, head: ChainHead) -> bool:
        """Write the head unless it is the one written last by this process; True when written."""
        if head.seq == self._last_exported:
            return False
        if self.path:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(descriptor, (head.line() + "\n").encode())
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        if self.syslog_address:
            _syslog(self.syslog_address).info("leadrouter audit head %s", head.line())
        self._last_exported = head.seq
        return True


def _syslog(address: str) -> logging.Logger:
    logger = logging.getLogger("leadrouter.audit.heads")
    if not logger.handlers:
        host, _, port = address.rpartition(":")
        target: str | tuple[str, int] = (host, int(port)) if host and port.isdigit() else address
        logger.addHandler(logging.handlers.SysLogHandler(address=target))
        logger.propagate = False
        logger.setLevel(logging.INFO)
    return logger


async def export_head(sessionmaker: async_sessionmaker[AsyncSession], sink: HeadSink) -> ChainHead | None:
    """Append the current head to the sink (nothing when it has not moved); returns what was written."""
    async with sessionmaker() as session:
        head = await current_head(session)
    if head is None or not sink.append(head):
        return None
    return head


def read_heads(path: str) -> list[ChainHead]:
    """Every head exported to a file (a missing file means none yet); unreadable lines are skipped."""
    if not path or not Path(path).exists():
        return []
    heads = []
    for line in Path(path).read_text().splitlines():
        try:
            data = json.loads(line)
            heads.append(ChainHead(int(data["seq"]), int(data["row_id"]), str(data["hash"]), str(data["at"])))
        except (ValueError, KeyError, TypeError):
            log.warning("skipped an unreadable line of the audit head file %s", path)
    return heads


@dataclass
class VerifyReport:
    """What `verify_chain` found."""

    sealed: int = 0
    unsealed: int = 0
    legacy: int = 0
    """Rows chained with plain SHA-256 before the chain was keyed (migration 0010)."""
    heads_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def _legacy_until(session: AsyncSession) -> int:
    """The last unkeyed link, as the first sealed marker row says (0: the chain was keyed from the start)."""
    marker = await session.scalar(
        select(AuditRecord)
        .where(AuditRecord.action == CHAIN_KEYED_ACTION, AuditRecord.chain_seq.is_not(None))
        .order_by(AuditRecord.chain_seq)
        .limit(1)
    )
    if marker is None:
        return 0
    value = int((marker.details or {}).get("legacy_until_seq", 0))
    # The marker is itself a keyed link after the unkeyed part: one placed anywhere else is forged.
    return value if marker.chain_seq is not None and marker.chain_seq > value else -1


async def verify_chain(
    session: AsyncSession,
    *,
    key: bytes,
    stale_before: datetime | None = None,
    heads: list[ChainHead] | None = None,
) -> VerifyReport:
    """Walk the chain in order; report edited, missing and forged rows, rows left unsealed too long,
    and exported heads the table no longer holds."""
    report = VerifyReport()
    legacy_until = await _legacy_until(session)
    if legacy_until < 0:
        report.problems.append("the marker of the keyed chain is out of place (forged or moved)")
        legacy_until = 0
    expected_seq, prev = 1, GENESIS_HASH
    exported = {head.seq: head for head in heads or []}
    result = await session.stream_scalars(
        select(AuditRecord).where(AuditRecord.chain_seq.is_not(None)).order_by(AuditRecord.chain_seq)
    )
    async for row in result:
        report.sealed += 1
        seq = int(row.chain_seq or 0)
        if seq != expected_seq:
            report.problems.append(f"rows {expected_seq}..{seq - 1} of the chain are missing")
        if row.prev_hash != prev:
            report.problems.append(f"chain link broken before audit row {row.id} (seq {seq})")
        previous = bytes(row.prev_hash or b"")
        if seq <= legacy_until:
            report.legacy += 1
            expected = legacy_chain_hash(previous, row)
        else:
            expected = chain_hash(previous, row, key=key)
        if expected != row.row_hash:
            report.problems.append(f"audit row {row.id} (seq {seq}) was edited or forged")
        head = exported.pop(seq, None)
        if head is not None:
            report.heads_checked += 1
            if head.row_id != row.id or head.row_hash != bytes(row.row_hash or b"").hex():
                report.problems.append(
                    f"exported head seq {seq} (row {head.row_id}, exported {head.at}) differs from the table"
                )
        expected_seq, prev = seq + 1, bytes(row.row_hash or b"")
    for head in sorted(exported.values(), key=lambda h: h.seq):
        report.problems.append(
            f"exported head seq {head.seq} (row {head.row_id}, exported {head.at}) is missing from the "
            "table: sealed rows were deleted"
        )
    await _count_unsealed(session, report, stale_before)
    return report


async def _count_unsealed(session: AsyncSession, report: VerifyReport, stale_before: datetime | None) -> None:
    """Rows not chained yet; those older than `stale_before` should have been (a sealer is down)."""
    report.unsealed = (
        await session.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.chain_seq.is_(None))
        )
        or 0
    )
    if stale_before is not None:
        stale = await session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.chain_seq.is_(None), AuditRecord.occurred_at < stale_before)
        )
        if stale:
            report.problems.append(f"{stale} audit rows were never sealed")


async def verify_configured_chain(
    session: AsyncSession,
    security: SecuritySettings,
    *,
    stale_before: datetime,
    heads_file: str | None = None,
) -> VerifyReport:
    """`verify_chain` with the deployment's chain key and exported heads (the command and the screen)."""
    from router.privacy.audit import chain_key

    heads = read_heads(heads_file if heads_file is not None else security.audit_head_file)
    return await verify_chain(
        session, key=chain_key(security.audit_key), stale_before=stale_before, heads=heads
    )
