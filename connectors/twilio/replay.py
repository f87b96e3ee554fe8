"""Replay a call as Twilio would make it: signed voice webhooks posted to a running app.

Used by `leadrouter phones replay-call` and the live demo. Each request is signed with the
library's RequestValidator over the public URL (what Twilio signs), and posted to `base_url`
(where the app actually listens), exactly like Twilio behind a proxy.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import httpx

from connectors.twilio.config import TwilioConfig
from connectors.twilio.signature import sign_webhook
from connectors.twilio.twiml import QUEUE_RESULT_PATH, VOICE_PATH, VOICE_STATUS_PATH

RING_OUTCOMES = ("completed", "no-answer", "busy", "failed")
"""What `--status` may say happened at each ringing phone (Twilio's DialCallStatus values)."""


@dataclass
class ReplayedCall:
    """The TwiML the app answered at each step of the replayed call."""

    call_sid: str
    steps: list[tuple[str, int, str]] = field(default_factory=list)
    """(path, HTTP status, body) of every request made."""


def _next_path(document: str) -> str | None:
    """Where Twilio would post next: the Dial's action, or the queue result; None at the end."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        return None
    dial = root.find("Dial")
    if dial is not None and dial.get("action"):
        return dial.get("action")
    if root.find("Enqueue") is not None:
        return QUEUE_RESULT_PATH
    return None


async def replay_call(
    config: TwilioConfig,
    *,
    base_url: str,
    caller: str,
    to: str,
    ring_outcome: str | None = None,
    call_sid: str | None = None,
    client: httpx.AsyncClient | None = None,
) -> ReplayedCall:
    """Post the incoming-call webhook; with `ring_outcome`, answer every ring step that way until the end."""
    replayed = ReplayedCall(call_sid=call_sid or "CA" + secrets.token_hex(16))
    base = {"AccountSid": config.account_sid, "CallSid": replayed.call_sid, "From": caller, "To": to}
    own_client = client is None
    http = client or httpx.AsyncClient(base_url=base_url, timeout=10.0)
    try:

        async def post(path: str, params: dict[str, str]) -> str:
            body, headers = sign_webhook(config, path_and_query=path, params=list(params.items()))
            response = await http.post(path, content=body, headers=headers)
            replayed.steps.append((path, response.status_code, response.text))
            return response.text if response.status_code == 200 else ""

        document = await post(VOICE_PATH, {**base, "CallStatus": "ringing", "Direction": "inbound"})
        while ring_outcome and (action := _next_path(document)):
            path = action.removeprefix(config.public_url)
            if path.startswith(QUEUE_RESULT_PATH):
                queue_result = "bridged" if ring_outcome == "completed" else "error"
                document = await post(path, {**base, "QueueResult": queue_result})
            else:
                document = await post(
                    path, {**base, "DialCallStatus": ring_outcome, "CallStatus": "in-progress"}
                )
        if ring_outcome:
            final = {**base, "CallStatus": "completed", "CallDuration": "30"}
            await post(VOICE_STATUS_PATH, final)
        return replayed
    finally:
        if own_client:
            await http.aclose()
