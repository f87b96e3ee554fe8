"""`/admin/pms`: the practice-management system: how it is reached, how its sync is doing, file uploads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from router.appointments.pms_settings import (
    EXPORT_UPLOAD_MAX_BYTES,
    import_export,
    pms_overview,
    save_pms_connection,
)
from router.core.domain import Domain
from router.core.errors import InvalidFields, NotPermitted
from router.privacy.access import may_do
from router.privacy.auth import SignedIn
from web.admin.common import page, refused, signed_in_or_login, submitted
from web.sessions import actor_of
from web.uploads import UploadRefused, read_upload

TRANSPORT_MAX_BYTES = 4 * EXPORT_UPLOAD_MAX_BYTES
"""The route's body limit, above the upload's own: a file too large is refused beside the field."""
KINDS = (
    ("fhir", "A FHIR server (reads changes every 5 minutes; can take bookings)"),
    ("file", "Nightly file exports (CSV), uploaded here"),
    ("none", "Not connected"),
)
DENIED = "The practice-management connection is set up by managers and practice admins."


@dataclass
class ExportForm:
    export: UploadFile | None = None


async def _page(domain: Domain, signed_in: SignedIn, **context: Any) -> Template:
    if not may_do(signed_in.viewer, "practice.configure"):
        raise NotPermitted(DENIED)
    async with domain.sessionmaker() as session:
        overview = await pms_overview(session, signed_in.viewer.practice_id)  # type: ignore[arg-type]
    connection = overview.connection
    values = {
        "kind": connection.kind if connection else "none",
        "base_url": (connection.base_url or "") if connection else "",
        "writable": bool(connection and connection.writable),
    }
    return page(
        "admin/pms.html",
        signed_in,
        "pms",
        overview=overview,
        zone=ZoneInfo(overview.time_zone),
        kinds=KINDS,
        max_bytes=EXPORT_UPLOAD_MAX_BYTES,
        **{"values": values, "imported": None, "upload_error": None, "saved": None, **context},
    )


@get("/admin/pms", include_in_schema=False)
async def pms_page(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    """The connection, the sync's health and recent runs, and the export upload."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _page(domain, signed_in, saved=request.query_params.get("saved") == "1" or None)


@post("/admin/pms", include_in_schema=False)
async def pms_save(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    """Save how the PMS is reached, or show the refused fields beside them."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    if not may_do(signed_in.viewer, "practice.configure"):
        raise NotPermitted(DENIED)
    form = await submitted(request)
    try:
        await save_pms_connection(
            domain,
            signed_in.viewer,
            kind=str(form.get("kind", "")),
            base_url=str(form.get("base_url", "")),
            writable=bool(form.get("writable")),
            actor=actor_of(request, signed_in),
        )
    except InvalidFields as exc:
        return await _page(domain, signed_in, values=form, **refused(exc))
    return Redirect("/admin/pms?saved=1", status_code=303)


@post("/admin/pms/export", include_in_schema=False, request_max_body_size=TRANSPORT_MAX_BYTES)
async def pms_export_upload(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    data: Annotated[ExportForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template | Redirect:
    """Import a patients, appointments or treatments export: bad lines named, a re-import changes nothing."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    if not may_do(signed_in.viewer, "practice.configure"):
        raise NotPermitted(DENIED)
    try:
        uploaded = await read_upload(data.export, max_bytes=EXPORT_UPLOAD_MAX_BYTES)
        result = await import_export(
            domain,
            signed_in.viewer,
            text=uploaded.text,
            file_name=uploaded.file_name,
            actor=actor_of(request, signed_in),
        )
    except UploadRefused as exc:
        return await _page(domain, signed_in, upload_error=str(exc), status_code=422)
    except InvalidFields as exc:
        return await _page(domain, signed_in, upload_error=exc.errors["export"], status_code=422)
    return await _page(domain, signed_in, imported=result)
