"""`POST /webhooks/pms/{practice_id}`: a practice-management system's FHIR rest-hook notification.

The Subscription the product registered sends `Authorization: Bearer <token>`; a matching token
queues an immediate sync of that practice (202). Any body is ignored: the sync reads what changed.
A missing or wrong token, or a practice with no subscription, is 401 and queues nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException

from connectors.openapi import problems
from router.appointments.subscriptions import take_notification
from router.core.domain import Domain


class PmsNotificationController(Controller):
    """Change notifications from a practice's FHIR server."""

    path = "/webhooks/pms"
    tags = ["webhooks"]

    @post(
        "/{practice_id:uuid}",
        status_code=202,
        summary="Receive a FHIR rest-hook notification",
        description=(
            "Sent by the practice's FHIR server for the Subscriptions the product registered. "
            "202: the practice's sync is queued; 401: bearer token missing or wrong; 404: not a practice id."
        ),
        responses=problems(
            s401="bearer token missing or not the one this practice's subscriptions send",
            s404="the path does not end in a practice id",
        ),
    )
    async def notified(
        self,
        request: Request[Any, Any, Any],
        practice_id: FromPath[uuid.UUID],
        domain: NamedDependency[Domain],
    ) -> Response[Any]:
        if not await take_notification(domain, practice_id, request.headers.get("authorization")):
            raise ProblemDetailsException(
                status_code=401,
                title="Notification refused",
                detail="The bearer token is missing or is not the one this practice's subscriptions send.",
            )
        return Response({"sync": "queued"}, status_code=202)
