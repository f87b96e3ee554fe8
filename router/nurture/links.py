"""Signed links in patient messages: unsubscribe, click-through and the open pixel.

A token names one outbox message and what it is for, with an expiry, under a keyed MAC (the blind
index key, with its own label), so a link cannot be forged or turned into another message's.
"""

from __future__ import annotations

import base64
import hmac
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
