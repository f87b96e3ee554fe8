"""Call and text a lead from the board: thin htmx endpoints over router.click_to_call and router.sms."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from markupsafe import escape

from router.core.domain import Domain
from router.phones.click_to_call import call_lead
from router.phones.texts import send_sms_to_lead
from router.privacy.auth import SignedIn
from web.forms import Form
from web.sessions import actor_of, provide_signed_in


def _status(message: str) -> Response[str]:
    return Response(f'<span class="phone-status">{escape(message)}</span>', media_type="text/html")


class PhoneActions(Controller):
    """Click-to-call and SMS buttons of a lead (`_lead_phone_actions.html`)."""

    path = "/phone/leads"
    include_in_schema = False
    dependencies = {"signed_in": Provide(provide_signed_in)}

    @post("/{lead_id:uuid}/call", status_code=200)
    async def call(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
    ) -> Response[str]:
        await call_lead(domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in))
        return _status("Calling your phone now; answer it and we connect you to the lead.")

    @post("/{lead_id:uuid}/sms", status_code=200)
    async def sms(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
        data: Form,
    ) -> Response[str]:
        outcome = await send_sms_to_lead(
            domain, signed_in.viewer, lead_id, data.get("body", ""), actor=actor_of(request, signed_in)
        )
        if outcome.status == "deferred" and outcome.send_after:
            return _status(
                f"Quiet hours for this patient: the text goes out at {outcome.send_after:%H:%M %Z}, "
                "their time."
            )
        return _status("Text sent.")
