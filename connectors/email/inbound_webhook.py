"""`POST /webhooks/email/{inbound_key}`: a raw email that came back to a practice (bounce or reply).

The practice's inbound key (shown on the Follow-up settings) is the authentication: a keyed MAC of
the practice id, so the URL names one practice and cannot be made up. The body is the message as
received (RFC 5322 bytes; `message/rfc822`, `text/plain` or `application/octet-stream`), which an
inbound-mail service, a mail server's pipe or a forwarding rule posts. Posting the same message
again changes nothing.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException

from connectors.email.inbound import UnreadableMail, read_inbound
from connectors.openapi import problems
from router.core.domain import Domain
from router.nurture.inbound import record_inbound_mail
from router.nurture.links import read_inbound_key

MAX_MESSAGE_BYTES = 1_000_000
"""A bounce usually returns the whole original message (HTML part included): tens of kilobytes.
Mail servers cap returned content (Postfix's bounce_size_limit is 50 kB); a megabyte is ample."""


@post(
    "/webhooks/email/{inbound_key:str}",
    summary="Receive a bounce (RFC 3464 report) or a reply to a patient email",
    description=(
        "The raw message as received. 200: applied, with what it did (`bounce`, `reply`, `unmatched`, "
        "`report_not_a_failure`, `automatic_reply_ignored`); a message posted twice changes nothing. "
        "404: no practice has this inbound key; 400: the body is not an email message; 413: too large."
    ),
    tags=["webhooks"],
    request_max_body_size=MAX_MESSAGE_BYTES,
    responses=problems(
        s400="the body is not an email message",
        s404="no practice has this inbound key",
        s413="the message is larger than a megabyte",
    ),
    status_code=200,
)
async def receive_inbound_email(
    request: Request[Any, Any, Any], inbound_key: FromPath[str], domain: NamedDependency[Domain]
) -> Response[dict[str, str]]:
    practice_id = read_inbound_key(domain.blind_index, inbound_key)
    if practice_id is None:
        raise ProblemDetailsException(
            status_code=404, title="Not found", detail="no practice has this inbound address"
        )
    try:
        mail = read_inbound(await request.body())
    except UnreadableMail as exc:
        raise ProblemDetailsException(status_code=400, title="Unreadable message", detail=str(exc)) from exc
    return Response(await record_inbound_mail(domain, practice_id, mail), status_code=200)


INBOUND_EMAIL_HANDLERS = [receive_inbound_email]
