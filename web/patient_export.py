"""`/patients/export`: a manager produces a patient's access-request export (one JSON file)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import ActionRefused
from router.leads.access_request import export_person
from router.privacy.access import require
from web.forms import Form
from web.sessions import actor_of, current_session


@get("/patients/export", include_in_schema=False)
async def export_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    require(signed_in.viewer, "patient.export")
    return Template("patient_export.html", context={"viewer": signed_in.viewer, "error": None, "values": {}})


@post("/patients/export", include_in_schema=False, status_code=200)
async def export_download(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], data: Form
) -> Response[Any]:
    """The export as a download; refusals and bad input come back on the form."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    require(signed_in.viewer, "patient.export")
    try:
        export = await export_person(
            domain,
            signed_in.viewer,
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            actor=actor_of(request, signed_in),
        )
    except ActionRefused as exc:
        context = {"viewer": signed_in.viewer, "error": str(exc), "values": data}
        return Template("patient_export.html", context=context, status_code=exc.status_code)
    return Response(
        json.dumps(export, indent=2, ensure_ascii=False).encode(),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="access-request.json"'},
    )
