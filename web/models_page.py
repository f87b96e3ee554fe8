"""The managers' page about lead-score models: versions, the active one's card, drift, and history upload."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import NotPermitted
from router.privacy.access import Viewer, may_do
from router.scores.history_import import upload_practice_history
from router.scores.model_admin import candidates
from router.scores.quality import models_overview
from router.scores.score_notes import score_note
from web.sessions import actor_of, current_session
from web.uploads import UploadRefused, read_upload

HISTORY_TRANSPORT_MAX_BYTES = 64_000_000
"""The route's body limit: above any configured upload limit (LEADROUTER_HISTORY_UPLOAD_MAX_BYTES, 20 MB),
so a too-large file is refused by `read_upload` with words beside the field, not by a bare 413."""


def _practice_of(viewer: Viewer) -> uuid.UUID:
    # Model quality and drift are a management decision; the front desk sees reasons on each lead.
    if not may_do(viewer, "models.view") or viewer.practice_id is None:
        raise NotPermitted("only managers and practice admins see the model page")
    return viewer.practice_id


@get("/models", include_in_schema=False)
async def models_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """List versions with their holdout metrics, the active one's card and its drift verdict."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    return await render_models_page(domain, signed_in.viewer)


async def render_models_page(
    domain: Domain, viewer: Viewer, *, status_code: int = 200, **extra: Any
) -> Template:
    """The models page: versions, the serving model, candidates judged beside it, drift, history upload."""
    practice_id = _practice_of(viewer)
    async with domain.sessionmaker() as session:
        overview = await models_overview(session, practice_id=practice_id)
        note = await score_note(session, domain, practice_id)
    serving, judged = await candidates(domain, viewer)
    context = _context(
        domain,
        viewer,
        overview=overview,
        note=note,
        serving=serving,
        candidates=judged,
        may_promote=may_do(viewer, "models.promote"),
        **{"errors": {}, "values": {}, "notice": None, **extra},
    )
    return Template("models.html", context=context, status_code=status_code)


def _context(domain: Domain, viewer: Viewer, **values: Any) -> dict[str, Any]:
    return {"viewer": viewer, "max_upload_bytes": domain.settings.scoring.history_upload_max_bytes, **values}


@dataclass
class HistoryForm:
    """The history upload form: the file, the practice's map, and what to do with them."""

    history: UploadFile | None = None
    mapping: str = ""
    step: str = "check"
    force: str = ""
    reason: str = ""


@post("/models/history", include_in_schema=False, request_max_body_size=HISTORY_TRANSPORT_MAX_BYTES)
async def history_upload(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    data: Annotated[HistoryForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template | Redirect:
    """Check an uploaded history file and show the report; with `step=train`, store a candidate if sound."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    practice_id = _practice_of(signed_in.viewer)
    context = _context(domain, signed_in.viewer, form=data)
    try:
        uploaded = await read_upload(data.history, max_bytes=domain.settings.scoring.history_upload_max_bytes)
    except UploadRefused as refused:
        return _report(request, {**context, "upload_error": str(refused)}, status_code=422)
    upload = await upload_practice_history(
        domain,
        practice_id,
        text=uploaded.text,
        file_name=uploaded.file_name,
        mapping_text=data.mapping,
        train=data.step == "train",
        force=bool(data.force),
        reason=data.reason,
        actor=actor_of(request, signed_in),
    )
    return _report(request, {**context, "upload": upload}, status_code=422 if upload.map_error else 200)


def _report(request: Request[Any, Any, Any], context: dict[str, Any], *, status_code: int) -> Template:
    """The report alone for htmx (which swaps it under the form, errors included), else a page of its own."""
    if request.headers.get("hx-request"):
        return Template("_history_report.html", context=context)
    return Template("history_report.html", context=context, status_code=status_code)
