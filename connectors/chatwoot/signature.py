"""Chatwoot's webhook signature: `X-Chatwoot-Signature: sha256=<hex>`, an HMAC-SHA256 with the
webhook's secret over `<X-Chatwoot-Timestamp>.<raw body>`, the timestamp in Unix seconds.

There is no maintained Python library for Chatwoot, so the check is the standard library's HMAC
with a constant-time comparison; a timestamp more than five minutes off is refused (a replayed
capture), as Standard Webhooks does for the forms.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

SIGNATURE = "x-chatwoot-signature"
TIMESTAMP = "x-chatwoot-timestamp"
DELIVERY = "x-chatwoot-delivery"
TOLERANCE_SECONDS = 300
"""How far a signed timestamp may be from our clock: Chatwoot sends at once; five minutes covers
clock drift and a retry, while a captured delivery stops working soon after."""


class ChatwootSignatureRejected(Exception):
    """Missing, wrong or stale signature; the message says which, without secrets."""


def sign(body: bytes, *, secret: str, timestamp: int) -> str:
    """The signature header's value Chatwoot sends (tests sign their deliveries with it)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(body: bytes, headers: Mapping[str, str], *, secret: str, now: datetime) -> None:
    """Raise `ChatwootSignatureRejected` unless the delivery is signed with `secret` and fresh."""
    lowered = {k.lower(): v for k, v in headers.items()}
    signature, stamp = lowered.get(SIGNATURE, ""), lowered.get(TIMESTAMP, "")
    if not signature or not stamp:
        raise ChatwootSignatureRejected("missing X-Chatwoot-Signature or X-Chatwoot-Timestamp")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise ChatwootSignatureRejected("X-Chatwoot-Timestamp is not Unix seconds") from None
    if abs(now.timestamp() - timestamp) > TOLERANCE_SECONDS:
        raise ChatwootSignatureRejected("the timestamp is more than five minutes from now")
    if not hmac.compare_digest(signature.encode(), sign(body, secret=secret, timestamp=timestamp).encode()):
        raise ChatwootSignatureRejected("the signature does not match")
