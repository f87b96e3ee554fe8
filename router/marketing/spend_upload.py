"""Ad spend uploaded from the browser: the same reading and rules as `leadrouter spend import`.

The upload component (web/uploads.py) has already turned the file into text (Excel's BOM and
UTF-16 read; too large or not CSV refused). Here the text is read as a spend export: a file with a
missing column is refused whole, a bad row is skipped and reported by its line, and rows for a day,
channel and campaign already stored replace them (so uploading the same file twice changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.marketing.spend import SpendFileError, SpendProblem, import_spend
from router.privacy import audit
from router.privacy.access import Viewer, require


@dataclass(frozen=True)
class SpendUploaded:
    file_name: str
    written: int
    problems: list[SpendProblem]


async def upload_spend(
    domain: Domain, viewer: Viewer, *, text: str, file_name: str, encoding: str, actor: audit.Actor
) -> SpendUploaded:
    """Import an uploaded spend export for the viewer's practice; InvalidFields when unusable."""
    require(viewer, "spend.import")
    assert viewer.practice_id is not None
    async with domain.transaction() as session:
        try:
            written, problems = await import_spend(session, viewer.practice_id, text, now=domain.clock.now())
        except SpendFileError as exc:
            raise InvalidFields({"spend": f"{file_name}: {exc}"}) from exc
        audit.record(
            session,
            actor=actor,
            action="spend.imported",
            practice_id=viewer.practice_id,
            details={
                "file": file_name[:200],
                "encoding": encoding,
                "rows": written,
                "skipped": len(problems),
            },
        )
    return SpendUploaded(file_name, written, problems)
