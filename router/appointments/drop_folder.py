"""PMS exports dropped in a folder (by the practice's SFTP upload), imported by the worker.

`LEADROUTER_PMS_DROP_DIR/<practice slug>/` holds the files of a practice whose connection is "file".
Each `.csv` there is imported exactly as an upload is (bad lines named, a re-import changes nothing),
patients files first so appointments find their patients, and then moved to `imported/` (or
`refused/` when it is no export at all) with the time it was read, so it is read once.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select

from router.appointments.pms_settings import ExportImported, import_export_for
from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.core.models import PmsConnection, Practice
from router.privacy import audit

log = logging.getLogger("leadrouter.pms")

DROP_ACTOR = audit.Actor.system("pms-drop-folder")
DROP_FILE_MAX_BYTES = 20_000_000
"""As the upload's limit: a larger file is refused (moved to refused/), not read into memory."""
KIND_ORDER = ("patient", "appointment", "treatment")
"""Files whose name mentions patients are read first, then appointments, then treatments."""


def _order(path: Path) -> tuple[int, str]:
    name = path.name.lower()
    return next((i for i, kind in enumerate(KIND_ORDER) if kind in name), len(KIND_ORDER)), name


async def import_drop_folders(domain: Domain) -> dict[str, int]:
    """Import every waiting file of every file-connected practice; returns files imported and refused."""
    root = domain.settings.pms.drop_dir
    totals = {"imported": 0, "refused": 0}
    if not root:
        return totals
    async with domain.sessionmaker() as session:
        practices = (
            await session.execute(
                select(Practice.id, Practice.slug)
                .join(PmsConnection, PmsConnection.practice_id == Practice.id)
                .where(PmsConnection.kind == "file")
            )
        ).all()
    for practice_id, slug in practices:
        folder = Path(root) / slug
        waiting = await asyncio.to_thread(
            lambda f=folder: sorted(f.glob("*.csv"), key=_order) if f.is_dir() else []
        )
        for path in waiting:
            outcome = await _import_one(domain, practice_id, path)
            totals["imported" if outcome is not None else "refused"] += 1
    return totals


def read_drop_file(path: Path) -> str:
    """The file's text as exports write it (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252)."""
    if path.stat().st_size > DROP_FILE_MAX_BYTES:
        raise ValueError(f"{path.name} is larger than {DROP_FILE_MAX_BYTES // 1_000_000} MB")
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


async def _import_one(domain: Domain, practice_id: Any, path: Path) -> ExportImported | None:
    stamp = domain.clock.now().strftime("%Y%m%dT%H%M%S")
    try:
        text = await asyncio.to_thread(read_drop_file, path)
        result: ExportImported | None = await import_export_for(
            domain, practice_id, text=text, file_name=path.name, actor=DROP_ACTOR
        )
        target = "imported"
    except (InvalidFields, ValueError) as exc:
        log.warning("PMS drop file %s refused: %s", path.name, exc)
        result, target = None, "refused"
    done = path.parent / target
    await asyncio.to_thread(done.mkdir, exist_ok=True)
    await asyncio.to_thread(path.rename, done / f"{stamp}-{path.name}")
    return result


async def import_drop_folders_task(ctx: dict[str, Any]) -> dict[str, int]:
    """The worker's look into the drop folders."""
    return await import_drop_folders(ctx["domain"])
