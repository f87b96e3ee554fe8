"""Raw mail that comes back to a practice, read with Python's `email` package into an InboundMail.

A delivery status notification is a `multipart/report; report-type=delivery-status` (RFC 3462/6522)
whose `message/delivery-status` part holds one block per recipient (RFC 3464: Action, Status,
Diagnostic-Code) and whose last part returns the original message or its headers
(`message/rfc822`, `text/rfc822-headers`). Our Message-ID carries the message's reply token, so the
returned headers name it. Anything else is read as a person's reply: the token is looked for in the
recipient addresses (a tagged Reply-To), then in In-Reply-To and References.
"""

from __future__ import annotations

import re
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage, Message

from router.nurture.inbound import DeliveryReport, InboundMail
from router.nurture.links import REPLY_TOKEN

RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to")
THREAD_HEADERS = ("in-reply-to", "references")
AUTOMATIC_PRECEDENCE = {"auto_reply", "bulk", "junk", "list"}
TAGGED = re.compile(rf"\+({REPLY_TOKEN.pattern})@", re.IGNORECASE)
"""A tagged Reply-To address: frontdesk+TOKEN@practice.example."""
IN_MESSAGE_ID = re.compile(rf"nm-({REPLY_TOKEN.pattern})@", re.IGNORECASE)
"""Our Message-ID: <...nm-TOKEN@practice.example>."""


class UnreadableMail(ValueError):
    """The body is not an email message at all."""


def read_inbound(raw: bytes) -> InboundMail:
    """The bounce or reply a raw RFC 5322 message is (UnreadableMail when it is none)."""
    message = message_from_bytes(raw, policy=policy.default)
    if not raw.strip() or not message.keys():
        raise UnreadableMail("the body is not an email message (no headers)")
    if message.get_content_type() == "multipart/report":
        report = _delivery_report(message)
        if report is not None:
            return InboundMail(report=report)
    tokens = [*_tokens(message, RECIPIENT_HEADERS, tagged=True), *_tokens(message, THREAD_HEADERS)]
    return InboundMail(report=None, reply_tokens=tuple(dict.fromkeys(tokens)), automatic=_automatic(message))


def _automatic(message: Message) -> bool:
    """RFC 3834: Auto-Submitted other than "no", or the older Precedence and X-Autoreply marks."""
    submitted = str(message.get("auto-submitted", "no")).strip().lower()
    precedence = str(message.get("precedence", "")).strip().lower()
    return submitted != "no" or precedence in AUTOMATIC_PRECEDENCE or "x-autoreply" in message


def _tokens(message: Message, headers: tuple[str, ...], *, tagged: bool = False) -> list[str]:
    pattern = TAGGED if tagged else IN_MESSAGE_ID
    found: list[str] = []
    for name in headers:
        for value in message.get_all(name) or []:
            found += [token.lower() for token in pattern.findall(str(value))]
    return found


def _delivery_report(message: Message) -> DeliveryReport | None:
    """The report's outcome and the returned message's tokens (None: not a delivery report)."""
    blocks: list[Message] = []
    returned: Message | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            blocks = [b for b in part.get_payload() if isinstance(b, Message)]
        elif kind == "message/rfc822" and returned is None:
            inner = part.get_payload()
            returned = inner[0] if isinstance(inner, list) and inner else None
        elif kind == "text/rfc822-headers" and returned is None:
            returned = message_from_string(_text_of(part), policy=policy.default)
    if not blocks:
        return None
    recipients = blocks[1:] or blocks
    failed = [b for b in recipients if str(b.get("action", "")).strip().lower() == "failed"]
    chosen = failed[0] if failed else recipients[0]
    tokens = _tokens(returned, ("message-id",)) if returned is not None else []
    return DeliveryReport(
        tokens=tuple(dict.fromkeys(tokens)),
        failed=bool(failed),
        status=_field(chosen, "status"),
        diagnostic=_field(chosen, "diagnostic-code"),
    )


def _field(block: Message, name: str) -> str | None:
    value = block.get(name)
    if value is None:
        return None
    text = " ".join(str(value).split())
    if name == "diagnostic-code" and ";" in text:
        text = text.split(";", 1)[1].strip()  # "smtp; 550 5.1.1 ..." -> the server's words
    return text or None


def _text_of(part: Message) -> str:
    if isinstance(part, EmailMessage):
        content = part.get_content()
        return content if isinstance(content, str) else content.decode("utf-8", "replace")
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
