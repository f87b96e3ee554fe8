"""The Twilio connector's settings (LEADROUTER_TWILIO_*), read from the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from router.core.settings import env


@dataclass(frozen=True)
class TwilioSettings:
    """One Twilio account for every practice (per-practice subaccounts can come later); empty SID = off."""

    account_sid: str = field(default_factory=lambda: env("LEADROUTER_TWILIO_ACCOUNT_SID", ""))
    """The account SID (AC...); empty turns phones and texts off."""
    auth_token: str = field(default_factory=lambda: env("LEADROUTER_TWILIO_AUTH_TOKEN", ""))
    """Signs Twilio's webhooks and authenticates our REST calls."""
    api_base_url: str = field(
        default_factory=lambda: env("LEADROUTER_TWILIO_API_BASE_URL", "https://api.twilio.com")
    )
    """Where Twilio's REST API answers; tests and the offline demo point it at a local fake."""
    public_url: str = field(default_factory=lambda: env("LEADROUTER_TWILIO_PUBLIC_URL", ""))
    """The URL Twilio calls us at (behind a TLS proxy: the proxy's); empty means LEADROUTER_PUBLIC_URL."""

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token)
