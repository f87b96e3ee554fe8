"""Twilio as the domain's PhoneGateway: send a text, start a call, through the official client."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient

from connectors.twilio.config import TwilioConfig
from connectors.twilio.twiml import BRIDGE_PATH, SMS_STATUS_PATH, VOICE_STATUS_PATH
from router.core.ports import PhoneGatewayError

RECORDING_TIMEOUT_SECONDS = 20.0
"""A voicemail is a few hundred kilobytes; twenty seconds means Twilio is not answering."""
RETRYABLE_STATUS = {429, 500, 502, 503, 504}
"""Twilio's answers that mean "later": rate limited or a server fault; other 4xx will never succeed."""


def _error(exc: Exception) -> PhoneGatewayError:
    if isinstance(exc, TwilioRestException):
        return PhoneGatewayError(
            f"Twilio refused ({exc.status}, code {exc.code}): {exc.msg}",
            permanent=exc.status not in RETRYABLE_STATUS,
        )
    return PhoneGatewayError(f"Twilio unreachable: {exc}", permanent=False)


class TwilioPhoneGateway:
    """Builds a fresh client per call from the config; the HTTP client can be injected (tests)."""

    def __init__(
        self, config: TwilioConfig, http_client_factory: Callable[[], AsyncTwilioHttpClient] | None = None
    ) -> None:
        self.config = config
        self._http_client_factory = http_client_factory

    def _client(self):  # type: ignore[no-untyped-def]
        factory = self._http_client_factory
        return self.config.build_client(factory() if factory else None)

    async def send_message(self, *, from_number: str, to: str, body: str, message_id: uuid.UUID) -> str:
        status_callback = self.config.public(f"{SMS_STATUS_PATH}?message_id={message_id}")
        try:
            message = await self._client().messages.create_async(
                to=to, from_=from_number, body=body, status_callback=status_callback
            )
        except (TwilioRestException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise _error(exc) from exc
        return str(message.sid)

    async def start_call(self, *, from_number: str, to: str, call_id: uuid.UUID) -> str:
        try:
            call = await self._client().calls.create_async(
                to=to,
                from_=from_number,
                url=self.config.public(f"{BRIDGE_PATH}/{call_id}"),
                method="POST",
                status_callback=self.config.public(f"{VOICE_STATUS_PATH}?call_id={call_id}"),
                status_callback_event=["initiated", "ringing", "answered", "completed"],
                status_callback_method="POST",
            )
        except (TwilioRestException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise _error(exc) from exc
        return str(call.sid)

    async def fetch_recording(self, recording_sid: str) -> bytes:
        """GET the recording's MP3 from the account's Recordings resource with Basic auth."""
        config = self.config
        url = (
            f"{config.api_base_url.rstrip('/')}/2010-04-01/Accounts/{config.account_sid}"
            f"/Recordings/{recording_sid}.mp3"
        )
        timeout = aiohttp.ClientTimeout(total=RECORDING_TIMEOUT_SECONDS)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.get(url, auth=aiohttp.BasicAuth(config.account_sid, config.auth_token)) as answer,
            ):
                if answer.status != 200:
                    raise PhoneGatewayError(
                        f"Twilio answered {answer.status} for the recording",
                        permanent=answer.status not in RETRYABLE_STATUS,
                    )
                return await answer.read()
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise _error(exc) from exc
