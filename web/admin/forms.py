"""`/admin/forms`: web forms, their signing secrets (shown once), the last deliveries, a test inquiry."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.intake.form_deliveries import recent_deliveries
from router.intake.form_source_admin import add_form, list_forms, load_form, new_secret, send_test_inquiry
from router.intake.form_sources import ROTATION_OVERLAP
from router.privacy.auth import SignedIn
from web.admin.common import page, refused, signed_in_or_login, submitted, zone_and_offices
from web.sessions import actor_of

OUTCOME_WORDS = {
    "accepted": "accepted: new lead",
    "merged": "accepted: added to the person's open lead",
    "replayed": "accepted: a retry, answered as before",
    "refused": "refused",
    "test": "test inquiry",
}


async def _list(domain: Domain, signed_in: SignedIn, **context: Any) -> Template:
    zone, offices = await zone_and_offices(domain, signed_in)
    forms = await list_forms(domain, signed_in.viewer)
    return page("admin/forms.html", signed_in, "forms", forms=forms, zone=zone, offices=offices, **context)


async def _detail(domain: Domain, signed_in: SignedIn, source_id: uuid.UUID, **context: Any) -> Template:
    zone, _ = await zone_and_offices(domain, signed_in)
    row = await load_form(domain, signed_in.viewer, source_id)
    deliveries = await recent_deliveries(domain, source_id)
    return page(
        "admin/form.html",
        signed_in,
        "forms",
        row=row,
        deliveries=deliveries,
        zone=zone,
        outcome_words=OUTCOME_WORDS,
        overlap_hours=int(ROTATION_OVERLAP.total_seconds() // 3600),
        **{"secret": None, "notice": None, **context},
    )


@get("/admin/forms", include_in_schema=False)
async def forms_page(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    """The practice's web forms and the form to add one."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _list(domain, signed_in)


@post("/admin/forms", include_in_schema=False)
async def form_add(request: Request[Any, Any, Any], domain: NamedDependency[Domain]) -> Template | Redirect:
    """Add a web form; its signing secret is shown on the answer, once."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        source_id, secret = await add_form(domain, signed_in.viewer, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        return await _list(domain, signed_in, values=form, **refused(exc))
    return await _detail(domain, signed_in, source_id, secret=secret, status_code=201)


@get("/admin/forms/{source_id:uuid}", include_in_schema=False)
async def form_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], source_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """One form: its address, its secrets' state, its last 20 deliveries."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _detail(domain, signed_in, source_id)


@post("/admin/forms/{source_id:uuid}/secret", include_in_schema=False)
async def form_rotate(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], source_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """A new signing secret, shown once; the previous one keeps working for 24 hours."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    secret = await new_secret(domain, signed_in.viewer, source_id, actor=actor_of(request, signed_in))
    return await _detail(domain, signed_in, source_id, secret=secret)


@post("/admin/forms/{source_id:uuid}/test", include_in_schema=False)
async def form_test(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], source_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Send a made-up inquiry through the intake as this form; it lands on the board."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    lead_id = await send_test_inquiry(domain, signed_in.viewer, source_id, actor=actor_of(request, signed_in))
    return await _detail(domain, signed_in, source_id, test_lead=lead_id)
