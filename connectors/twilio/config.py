"""The typed configuration of the Twilio connector, and a fresh REST client per call built from it."""

from __future__ import annotations

from dataclasses import dataclass

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from connectors.twilio.settings import TwilioSettings
from router.core.settings import Settings

REST_TIMEOUT_SECONDS = 10.0
"""Twilio's REST API answers in well under a second; ten means it is down and the caller retries later."""
TWILIO_API_BASE_URL = "https://api.twilio.com"


@dataclass(frozen=True)
class TwilioConfig:
    """One Twilio account: credentials, where its REST API answers, and our public address."""

    account_sid: str
    auth_token: str
    api_base_url: str = TWILIO_API_BASE_URL
    """Tests and the offline demo point this at a local server that speaks Twilio's REST format."""
    public_url: str = "http://127.0.0.1:8000"
    """The URL Twilio calls us at; signatures are computed over it, not over our internal address."""

    @classmethod
    def from_settings(cls, settings: Settings, twilio: TwilioSettings | None = None) -> TwilioConfig | None:
        """The deployment's account (LEADROUTER_TWILIO_* unless given), or None when not configured."""
        twilio = twilio or TwilioSettings()
        if not twilio.configured:
            return None
        return cls(
            account_sid=twilio.account_sid,
            auth_token=twilio.auth_token,
            api_base_url=twilio.api_base_url or TWILIO_API_BASE_URL,
            public_url=(twilio.public_url or settings.intake.public_url).rstrip("/"),
        )

    def public(self, path: str) -> str:
        """The absolute URL Twilio should call for one of our paths."""
        return self.public_url.rstrip("/") + path

    def build_client(self, http_client: AsyncTwilioHttpClient | None = None) -> Client:
        """A new client for one call; it is never shared, so no call can change another's settings."""
        client = Client(
            self.account_sid,
            self.auth_token,
            http_client=http_client
            or AsyncTwilioHttpClient(pool_connections=False, timeout=REST_TIMEOUT_SECONDS),
        )
        # The api domain's base URL is the library's own override point (ApiBase sets api.twilio.com).
        client.api.base_url = self.api_base_url.rstrip("/")
        return client
