"""A practice's lead-history file: checked before anything is stored, stored as a candidate only when sound.

The check (`check_history`) reads the whole file with the practice's time zone, offices and
providers, and returns the import with its report. Storing a model trained from it
(`store_imported_candidate`) is refused while the report has refusals (too many rows skipped, a
whole channel or treatment unread) unless a person forces it with a reason, which is audited.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Location, Practice, Provider
from router.privacy import audit
from router.scores import registry
from scoring.history_csv import HistoryImport, import_history_csv
from scoring.history_vocabulary import ImportMap, MapError, parse_map
from scoring.training import TrainingResult, train_models

_TRAINING = asyncio.Semaphore(1)
"""One training from the upload screen at a time per process: it takes a core for seconds."""


class HistoryRefused(Exception):
    """The import would teach the model a misread file; `reasons` say why."""

    def __init__(self, reasons: list[str], *, forcible: bool) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons
        self.forcible = forcible


@dataclass(frozen=True)
class HistoryContext:
    """What reading a practice's file needs to know about the practice."""

    time_zone: str
    locations: tuple[tuple[float, float], ...]
    provider_names: tuple[str, ...]


async def history_context(session: AsyncSession, practice_id: uuid.UUID | None) -> HistoryContext:
    """The practice's zone, office coordinates and provider names (UTC and none for the pooled model)."""
    if practice_id is None:
        return HistoryContext("UTC", (), ())
    practice = await session.get(Practice, practice_id)
    offices = (await session.scalars(select(Location).where(Location.practice_id == practice_id))).all()
    providers = (
        await session.scalars(select(Provider.name).where(Provider.practice_id == practice_id))
    ).all()
    return HistoryContext(
        time_zone=practice.time_zone if practice else "UTC",
        locations=tuple((o.latitude, o.longitude) for o in offices if o.latitude is not None),
        provider_names=tuple(providers),
    )


def check_history(
    text: str, *, context: HistoryContext, mapping: ImportMap | str | None = None, file_name: str
) -> HistoryImport:
    """Read a history file with the practice's map (TOML or rule text is parsed: `MapError` if wrong)."""
    if isinstance(mapping, str):
        mapping = parse_map(mapping) if mapping.strip() else None
    return import_history_csv(
        text,
        time_zone=context.time_zone,
        locations=context.locations,
        provider_names=context.provider_names,
        mapping=mapping,
        file_name=file_name,
    )


def refuse_unless_forced(imported: HistoryImport, *, force: bool, reason: str | None) -> list[str]:
    """The report's refusals when a reasoned `force` overrides them; `HistoryRefused` otherwise."""
    report = imported.report
    refusals = report.refusals()
    if not refusals:
        return []
    if report.problem or report.missing_required or report.usable == 0:
        raise HistoryRefused(refusals, forcible=False)
    if not force:
        raise HistoryRefused(refusals, forcible=True)
    if not (reason and reason.strip()):
        raise ValueError("forcing an import needs a reason for the audit log")
    return refusals


async def store_imported_candidate(
    domain: Domain,
    result: TrainingResult,
    *,
    practice_id: uuid.UUID | None,
    imported: HistoryImport,
    actor: audit.Actor,
    forced_over: list[str],
    reason: str | None,
) -> str:
    """Store the trained version as a candidate and, when refusals were forced, the audit record."""
    report = imported.report
    async with domain.transaction() as session:
        row = await registry.store_version(
            session,
            result,
            practice_id=practice_id,
            source=f"practice file {report.file_name}",
            training_rows=report.usable,
        )
        if forced_over:
            audit.record(
                session,
                actor=actor,
                action="model.history_import_forced",
                practice_id=practice_id,
                details={
                    "version": row.version,
                    "file": report.file_name,
                    "rows": report.rows,
                    "usable": report.usable,
                    "skipped": report.skipped_rows,
                    "refusals": len(forced_over),
                    "reason": reason,
                },
            )
        return row.version


@dataclass
class HistoryUpload:
    """What the upload screen shows: the report, and what became of a request to train."""

    imported: HistoryImport | None = None
    map_error: str = ""
    refusals: list[str] = field(default_factory=list)
    forcible: bool = False
    version: str | None = None
    holdout_auc: float | None = None
    training_error: str = ""


async def upload_practice_history(
    domain: Domain,
    practice_id: uuid.UUID,
    *,
    text: str,
    file_name: str,
    mapping_text: str,
    train: bool,
    force: bool,
    reason: str | None,
    actor: audit.Actor,
) -> HistoryUpload:
    """Check a file uploaded on the models page and, when asked and sound (or forced), store a candidate."""
    async with domain.sessionmaker() as session:
        context = await history_context(session, practice_id)
    try:
        mapping = parse_map(mapping_text) if mapping_text.strip() else None
    except MapError as error:
        return HistoryUpload(map_error=str(error))
    imported = await asyncio.to_thread(
        check_history, text, context=context, mapping=mapping, file_name=file_name
    )
    outcome = HistoryUpload(imported=imported, refusals=imported.report.refusals())
    if not train:
        return outcome
    try:
        forced_over = refuse_unless_forced(imported, force=force, reason=reason)
    except HistoryRefused as refused:
        outcome.forcible = refused.forcible
        return outcome
    except ValueError as error:  # forced without a reason
        outcome.forcible, outcome.training_error = True, str(error)
        return outcome
    async with _TRAINING:
        try:
            result = await asyncio.to_thread(
                train_models,
                imported.inputs,
                imported.labels,
                imported.received_at,
                source=f"practice file {file_name}",
            )
        except ValueError as error:  # e.g. too few months for the time split
            outcome.training_error = str(error)
            return outcome
    outcome.version = await store_imported_candidate(
        domain,
        result,
        practice_id=practice_id,
        imported=imported,
        actor=actor,
        forced_over=forced_over,
        reason=reason,
    )
    outcome.holdout_auc = result.holdout_auc
    return outcome
