"""Standard Webhooks signatures (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,...`)."""

from __future__ import annotations

import binascii
from collections.abc import Mapping, Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class SignatureRejected(Exception):
    """The delivery is not signed by any of the source's valid secrets (or is too old/new)."""


def verify_delivery(body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> str:
    """Check the signature on the raw bytes against every valid secret; returns the webhook id.

    The `standardwebhooks` package compares in constant time, enforces the 5-minute timestamp
    tolerance and accepts several space-separated signatures (a sender mid-rotation).
    """
    lowered = {k.lower(): v for k, v in headers.items() if k.lower() in HEADERS}
    missing = [name for name in HEADERS if not lowered.get(name)]
    if missing:
        raise SignatureRejected("missing header " + ", ".join(missing))
    if not secrets:
        raise SignatureRejected("the form source has no valid secret")
    last_error = "no matching signature"
    for secret in secrets:
        try:
            Webhook(secret).verify(body, lowered, json_parse=False)
            return lowered["webhook-id"]
        except WebhookVerificationError as exc:
            last_error = str(exc)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            last_error = "malformed signature header or body"
    raise SignatureRejected(last_error)


def sign_delivery(body: bytes, *, secret: str, webhook_id: str, at: datetime) -> dict[str, str]:
    """The headers a Standard Webhooks sender adds at `at` (the simulator, benchmarks and tests sign
    with it; the receiver refuses a timestamp more than five minutes from its own clock)."""
    moment = at
    signature = Webhook(secret).sign(msg_id=webhook_id, timestamp=moment, data=body.decode())
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
