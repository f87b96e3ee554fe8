"""Signed links in patient messages: unsubscribe, click-through and the open pixel.

A token names one outbox message and what it is for, with an expiry, under a keyed MAC (the blind
index key, with its own label), so a link cannot be forged or turned into another message's.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from router.core.crypto import BlindIndex

PURPOSES = {"unsubscribe": 1, "click": 2, "open": 3}
UNSUBSCRIBE_LIFETIME = timedelta(days=365)
"""A year: people unsubscribe from old emails; CAN-SPAM asks that the link work for 30 days at least."""
TRACKING_LIFETIME = timedelta(days=90)
"""Clicks and opens after three months no longer steer a sequence (it has long finished)."""
_MAC_BYTES = 16


@dataclass(frozen=True)
class LinkToken:
    """What a verified token says."""

    message_id: uuid.UUID
    purpose: str
    expires_at: datetime


class BadToken(ValueError):
    """The token is malformed, forged or expired; `expired` tells the last apart (the page says so)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def _mac(index: BlindIndex, payload: bytes) -> bytes:
    return (index.digest(payload.hex(), kind="nurture-link") or b"")[:_MAC_BYTES]


def make_token(index: BlindIndex, message_id: uuid.UUID, purpose: str, now: datetime) -> str:
    lifetime = UNSUBSCRIBE_LIFETIME if purpose == "unsubscribe" else TRACKING_LIFETIME
    expires = int((now + lifetime).timestamp())
    payload = message_id.bytes + struct.pack(">BQ", PURPOSES[purpose], expires)
    return base64.urlsafe_b64encode(payload + _mac(index, payload)).decode().rstrip("=")


def read_token(index: BlindIndex, token: str, purpose: str, now: datetime) -> LinkToken:
    """The token's message, or BadToken."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError) as exc:
        raise BadToken("not a link we sent") from exc
    if len(raw) != 16 + 9 + _MAC_BYTES:
        raise BadToken("not a link we sent")
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(index, payload)):
        raise BadToken("not a link we sent")
    kind, expires = struct.unpack(">BQ", payload[16:])
    if kind != PURPOSES[purpose]:
        raise BadToken("not a link of this kind")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if expires_at < now:
        raise BadToken("this link has expired", expired=True)
    return LinkToken(uuid.UUID(bytes=payload[:16]), purpose, expires_at)


_REPLY_MAC_BYTES = 8
"""64 bits: a forger would have to guess online, one delivery to a practice's inbound address at a time."""
REPLY_TOKEN = re.compile(r"[a-z2-7]{39}", re.IGNORECASE)
"""A reply token as it appears in an address or a Message-ID (base32 of 24 bytes, unpadded)."""


def reply_token(index: BlindIndex, message_id: uuid.UUID) -> str:
    """The tag that ties a reply or a bounce to its outbox message: short and case-insensitive
    (base32), because it travels in an address's local part (at most 64 characters, RFC 5321) and
    some mail servers change the case of addresses. It does not expire: a bounce may come days later."""
    mac = (index.digest(message_id.hex, kind="nurture-reply") or b"")[:_REPLY_MAC_BYTES]
    return base64.b32encode(message_id.bytes + mac).decode().rstrip("=").lower()


def read_reply_token(index: BlindIndex, token: str) -> uuid.UUID | None:
    """The outbox message a reply token names, or None when it is not one we made."""
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 16 + _REPLY_MAC_BYTES:
        return None
    message_id = uuid.UUID(bytes=raw[:16])
    expected = (index.digest(message_id.hex, kind="nurture-reply") or b"")[:_REPLY_MAC_BYTES]
    return message_id if hmac.compare_digest(raw[16:], expected) else None


def inbound_key(index: BlindIndex, practice_id: uuid.UUID) -> str:
    """The secret part of a practice's inbound mail address (bounces and replies are posted to it)."""
    mac = (index.digest(practice_id.hex, kind="nurture-inbound") or b"")[:_MAC_BYTES]
    return base64.urlsafe_b64encode(practice_id.bytes + mac).decode().rstrip("=")


def inbound_url(domain: Any, practice_id: uuid.UUID | None) -> str:
    """Where the practice's mail system posts bounces and replies (router.core.domain.Domain)."""
    if practice_id is None:
        return ""
    base = domain.settings.intake.public_url.rstrip("/")
    return f"{base}/webhooks/email/{inbound_key(domain.blind_index, practice_id)}"


def read_inbound_key(index: BlindIndex, key: str) -> uuid.UUID | None:
    """The practice whose inbound key this is, or None (malformed or forged)."""
    try:
        raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 16 + _MAC_BYTES:
        return None
    practice_id = uuid.UUID(bytes=raw[:16])
    expected = (index.digest(practice_id.hex, kind="nurture-inbound") or b"")[:_MAC_BYTES]
    return practice_id if hmac.compare_digest(raw[16:], expected) else None


def tagged_address(address: str | None, token: str) -> str | None:
    """`frontdesk+TOKEN@practice.example` (RFC 5233 subaddress), or the address as it is when the
    tag would make its local part longer than SMTP allows."""
    if not address or "@" not in address:
        return address
    local, _, domain = address.rpartition("@")
    tagged = f"{local}+{token}"
    return f"{tagged}@{domain}" if len(tagged) <= 64 else address
