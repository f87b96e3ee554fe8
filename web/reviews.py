"""The lead page's "After the visit" card (`/leads/{id}/care`): the complaint flag with its set and clear
forms, review requests and thank-yous sent, and who referred the patient; and `/patient-referrals`,
managers' list of patients who refer others.

A form answers with the card again: the flag's new state, or (422) the card with the message beside
the field. A role that may not act gets 403 before anything is read or written.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import InvalidFields, NotFound, NotPermitted
from router.privacy import audit
from router.privacy.access import may_do
from router.privacy.auth import SignedIn
from router.referrals.patient_referrers import referring_patients
from router.reviews.care import lead_care
from router.reviews.complaints import clear_flag, raise_flag
from web.admin.common import signed_in_or_login, submitted
from web.sessions import actor_of


async def _card(
    request: Request[Any, Any, Any],
    domain: Domain,
    signed_in: SignedIn,
    lead_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    notice: str | None = None,
) -> Template:
    async with domain.sessionmaker() as session, session.begin():
        care = await lead_care(session, domain, signed_in.viewer, lead_id)
        if care.flags or (care.referred_by and care.may_see_referrer):
            audit.record_read(
                session,
                actor=actor_of(request, signed_in),
                practice_id=care.practice_id,
                lead_id=lead_id,
                via="care",
            )
    return Template(
        "lead_care.html",
        context={"care": care, "errors": errors or {}, "form": form or {}, "notice": notice},
        status_code=422 if errors else 200,
    )


@get("/leads/{lead_id:uuid}/care", include_in_schema=False)
async def lead_care_card(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """The card the lead page loads (404 outside the viewer's scope)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    return await _card(request, domain, signed_in, lead_id)


@post("/leads/{lead_id:uuid}/complaint", include_in_schema=False)
async def complaint_raise(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Flag an open complaint: no review request is asked, waiting ones are cancelled."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        await raise_flag(domain, signed_in.viewer, lead_id, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        if not request.headers.get("hx-request"):
            raise
        return await _card(request, domain, signed_in, lead_id, errors=exc.errors, form=form)
    return await _card(
        request, domain, signed_in, lead_id, notice="Complaint flagged: no review requests for now."
    )


@post("/leads/{lead_id:uuid}/complaint/clear", include_in_schema=False)
async def complaint_clear(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], lead_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Clear the open complaint (a manager, once it is resolved)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    form = await submitted(request)
    try:
        await clear_flag(domain, signed_in.viewer, lead_id, form, actor=actor_of(request, signed_in))
    except InvalidFields as exc:
        if not request.headers.get("hx-request"):
            raise
        return await _card(request, domain, signed_in, lead_id, errors=exc.errors, form=form)
    return await _card(request, domain, signed_in, lead_id, notice="Complaint cleared.")


@get("/patient-referrals", include_in_schema=False)
async def patient_referrals_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Patients who sent the practice new patients, with counts (managers and practice admins)."""
    signed_in = await signed_in_or_login(request, domain)
    if isinstance(signed_in, Redirect):
        return signed_in
    viewer = signed_in.viewer
    if not may_do(viewer, "patient_referrals.view"):
        raise NotPermitted("The list of referring patients is for managers and practice admins.")
    if viewer.practice_id is None:
        raise NotFound("No practice.")
    rows = await referring_patients(domain, viewer)
    return Template(
        "patient_referrals.html",
        context={"viewer": viewer, "current_page": "referrers", "rows": rows},
    )


REVIEW_HANDLERS = [lead_care_card, complaint_raise, complaint_clear, patient_referrals_page]
