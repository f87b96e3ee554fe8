"""`/admin/spend`: upload an ad platform's spend export (the upload component; the command's rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import InvalidFields, NotPermitted
from router.marketing.spend import REQUIRED_COLUMNS, SPEND_UPLOAD_MAX_BYTES, spend_summary
from router.marketing.spend_upload import upload_spend
from router.privacy.access import may_do
from router.privacy.auth import SignedIn
from web.admin.common import page, signed_in_or_login
from web.sessions import actor_of
from web.uploads import UploadRefused, read_upload

TRANSPORT_MAX_BYTES = 4 * SPEND_UPLOAD_MAX_BYTES
"""The route's body limit, above the upload's own: a file too large is refused beside the field,
not by a bare 413."""


@dataclass
class SpendForm:
    spend: UploadFile | None = None


async def _page(domain: Domain, signed_in: SignedIn, **context: Any) -> Template:
    if not may_do(signed_in.viewer, "spend.import"):
        raise NotPermitted("Ad spend is uploaded by managers and practice admins.")
    async with domain.sessionmaker() as session:
        summary = await spend_summary(session, signed_in.viewer.practice_id)  # type: ignore[arg-type]
    return page(
        "admin/spend.html",
        signed_in,
        "spend",
        summary=summary,
        max_bytes=SPEND_UPLOAD_MAX_BYTES,
        required=REQUIRED_COLUMNS,
        **{"uploaded": None, "upload_error": None, **context},
    )


@get("/admin/spend", include_in_schema=False)
async def spend_page(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    """What spend is stored per channel, and the upload form."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _page(domain, signed_in)


@post("/admin/spend", include_in_schema=False, request_max_body_size=TRANSPORT_MAX_BYTES)
async def spend_upload(
    request: Request[Any, Any, Any],
    domain: NamedDependency[Domain],
    data: Annotated[SpendForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template | Redirect:
    """Import the file: bad rows reported by line, the rest stored; a re-import replaces."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    if not may_do(signed_in.viewer, "spend.import"):
        raise NotPermitted("Ad spend is uploaded by managers and practice admins.")
    try:
        uploaded = await read_upload(data.spend, max_bytes=SPEND_UPLOAD_MAX_BYTES)
        result = await upload_spend(
            domain,
            signed_in.viewer,
            text=uploaded.text,
            file_name=uploaded.file_name,
            encoding=uploaded.encoding,
            actor=actor_of(request, signed_in),
        )
    except UploadRefused as refused:
        return await _page(domain, signed_in, upload_error=str(refused), status_code=422)
    except InvalidFields as exc:
        return await _page(domain, signed_in, upload_error=exc.errors["spend"], status_code=422)
    return await _page(domain, signed_in, uploaded=result)
