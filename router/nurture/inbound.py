"""Mail that comes back: late bounces (RFC 3464 delivery reports) and patients' replies to emails.

A practice forwards both to its inbound address (router/nurture/links.py `inbound_key`); the email
connector reads the raw message into an `InboundMail` (connectors/email/inbound.py) and this module
applies it. Matching is by reply token only (signed, per message): a token of another practice's
message, or none, matches nothing. A report that a delivery failed marks a sent email *bounced*
(shown on the lead page with the server's reason, addresses removed); a reply marks the email
replied, which the sequence's "replied" branch reads. Posting the same mail twice changes nothing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from router.core.domain import Domain
from router.core.models import NurtureMessage
from router.nurture.links import read_reply_token

BOUNCEABLE = ("sent", "unknown")
"""A bounce proves a message was handed over: a *may not have been sent* one was, and then failed."""
_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")
DETAIL_CHARACTERS = 300


@dataclass(frozen=True)
class DeliveryReport:
    """What an RFC 3464 report says about the returned message."""

    tokens: tuple[str, ...]
    """Reply tokens found in the returned message's headers (its Message-ID)."""
    failed: bool
    """Some recipient's Action is `failed` (a `delayed` or `delivered` report changes nothing)."""
    status: str | None
    diagnostic: str | None


@dataclass(frozen=True)
class InboundMail:
    """A message that came back, read by the connector: a delivery report, or a person's reply."""

    report: DeliveryReport | None
    reply_tokens: tuple[str, ...] = ()
    """Tokens from the recipient addresses (tagged Reply-To), then In-Reply-To and References."""
    automatic: bool = False
    """An automatic answer (RFC 3834 Auto-Submitted, an out-of-office): not a reply."""


def bounce_detail(report: DeliveryReport) -> str:
    """The server's reason in the lead page's words, without the addresses it quotes (PHI)."""
    said = _ADDRESS.sub("the address", " ".join((report.diagnostic or "").split()))
    reason = "; ".join(part for part in (report.status, said) if part)
    return (
        f"the mail server said: {reason}"[:DETAIL_CHARACTERS] if reason else "the mail server gave no reason"
    )


async def record_inbound_mail(domain: Domain, practice_id: uuid.UUID, mail: InboundMail) -> dict[str, str]:
    """Apply a bounce or a reply to the practice's message it names; says what it did."""
    if mail.report is not None:
        return await _bounce(domain, practice_id, mail.report)
    if mail.automatic:
        return {"outcome": "automatic_reply_ignored"}
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        message = await _message(session, domain, practice_id, mail.reply_tokens)
        if message is None:
            return {"outcome": "unmatched"}
        if message.replied_at is None:
            message.replied_at = now
        return {"outcome": "reply", "message_id": str(message.id)}


async def _bounce(domain: Domain, practice_id: uuid.UUID, report: DeliveryReport) -> dict[str, str]:
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        message = await _message(session, domain, practice_id, report.tokens)
        if message is None:
            return {"outcome": "unmatched"}
        if not report.failed:
            return {"outcome": "report_not_a_failure", "message_id": str(message.id)}
        if message.status in BOUNCEABLE:
            message.status, message.bounced_at, message.detail = "bounced", now, bounce_detail(report)
        return {"outcome": "bounce", "message_id": str(message.id)}


async def _message(session, domain: Domain, practice_id: uuid.UUID, tokens: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """The first message of this practice that one of the tokens names, locked (None: none does)."""
    for token in tokens:
        message_id = read_reply_token(domain.blind_index, token)
        if message_id is None:
            continue
        message = await session.scalar(
            select(NurtureMessage)
            .where(
                NurtureMessage.id == message_id,
                NurtureMessage.practice_id == practice_id,
                NurtureMessage.channel == "email",
            )
            .with_for_update()
        )
        if message is not None:
            return message
    return None
