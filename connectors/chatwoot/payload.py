"""Chatwoot's webhook payloads as the domain's `ChatUpdate`.

The three events the product uses (Chatwoot's webhook documentation, "Supported webhook events"):
- `conversation_created` and `conversation_status_changed`: the conversation object at the top level
  (`id` is the conversation's number in the account, which the REST API takes; `status`;
  `additional_attributes.referer`, the page the chat started on; `meta.sender`, the contact with
  `name`, `email`, `phone_number`; `messages`, whose `message_type` is a number there: 0 incoming,
  1 outgoing, 2 activity, 3 template, and `created_at` Unix seconds);
- `message_created`: the message at the top level (`id`, `content`, `message_type` as a word,
  `private`, `created_at`, `sender`) with its `conversation` (and the conversation's `meta.sender`).
Private notes, activity lines ("Conversation was resolved") and templates are not patient messages.
Every other event is answered 200 and ignored (Chatwoot sends all an account subscribed to).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from router.chat.conversations import ChatContact, ChatLine, ChatUpdate

EVENTS = ("conversation_created", "message_created", "conversation_status_changed")
_DIRECTIONS = {"incoming": "in", "outgoing": "out", 0: "in", 1: "out"}


class UnusablePayload(ValueError):
    """The payload lacks what the event needs; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _text(value: Any, limit: int = 300) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).replace("\x00", "").strip()
        return text[:limit] or None
    return None


def _moment(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e11:
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        for parse in (
            lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")),
            lambda s: datetime.strptime(s, "%Y-%m-%d %H:%M:%S %Z").replace(tzinfo=UTC),
        ):
            try:
                moment = parse(value)
            except ValueError:
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return fallback


def _contact(*candidates: Any) -> ChatContact:
    for person in candidates:
        if isinstance(person, dict) and person.get("type", "contact") == "contact":
            contact = ChatContact(
                name=_text(person.get("name"), 200),
                email=_text(person.get("email"), 254),
                phone=_text(person.get("phone_number"), 40),
            )
            if contact.name or contact.reachable:
                return contact
    return ChatContact()


def _line(message: Any, fallback: datetime) -> ChatLine | None:
    if not isinstance(message, dict) or message.get("private") is True:
        return None
    direction = _DIRECTIONS.get(message.get("message_type"))
    external_id = _text(message.get("id"), 100)
    if direction is None or external_id is None:
        return None
    return ChatLine(
        external_id,
        direction,
        _text(message.get("content"), 5000),
        _moment(message.get("created_at"), fallback),
    )


def _conversation_id(conversation: Any) -> str:
    number = _text(conversation.get("id"), 100) if isinstance(conversation, dict) else None
    if number is None:
        raise UnusablePayload("conversation.id", "the conversation's id is missing")
    return number


def chat_update(payload: Any, *, now: datetime) -> ChatUpdate | None:
    """The update one delivery carries; None for an event the product does not use."""
    if not isinstance(payload, dict):
        raise UnusablePayload("body", "a JSON object is expected")
    event = payload.get("event")
    if event not in EVENTS:
        if not isinstance(event, str):
            raise UnusablePayload("event", "the event name is missing")
        return None
    if event == "message_created":
        conversation = payload.get("conversation")
        if not isinstance(conversation, dict):
            raise UnusablePayload("conversation", "a message_created delivery names its conversation")
        meta = conversation.get("meta") if isinstance(conversation.get("meta"), dict) else {}
        line = _line(payload, now)
        return ChatUpdate(
            conversation_id=_conversation_id(conversation),
            contact=_contact(payload.get("sender"), meta.get("sender")),
            page_url=_referer(conversation),
            lines=(line,) if line else (),
        )
    meta = payload.get("meta") if isinstance(payload.get("meta"), dict) else {}
    messages = payload.get("messages") if isinstance(payload.get("messages"), list) else []
    return ChatUpdate(
        conversation_id=_conversation_id(payload),
        contact=_contact(meta.get("sender")),
        page_url=_referer(payload),
        status=_text(payload.get("status"), 16),
        lines=tuple(line for line in (_line(m, now) for m in messages) if line),
    )


def _referer(conversation: dict[str, Any]) -> str | None:
    attributes = conversation.get("additional_attributes")
    return _text(attributes.get("referer"), 2000) if isinstance(attributes, dict) else None
