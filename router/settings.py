"""Settings of the domain: database, Redis, PHI keys, sessions; read once from the environment."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from functools import lru_cache

_DEV_KEY_NOTICE = "development key: set LEADROUTER_PHI_KEYS in production"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class DatabaseSettings:
    """Where PostgreSQL is."""

    url: str = field(default_factory=lambda: _env("DATABASE_URL", ""))
    """SQLAlchemy URL (postgresql+asyncpg://...); empty means "start an embedded server"."""
    pool_size: int = field(default_factory=lambda: int(_env("LEADROUTER_DB_POOL_SIZE", "10")))
    """Connections per process; intake holds one per in-flight webhook for a few milliseconds."""


@dataclass(frozen=True)
class RedisSettings:
    """Where Redis is, and the key prefix that keeps deployments (and test runs) apart."""

    url: str = field(default_factory=lambda: _env("REDIS_URL", ""))
    """redis://host:port/db; empty means "start an embedded server"."""
    prefix: str = field(default_factory=lambda: _env("LEADROUTER_REDIS_PREFIX", "leadrouter"))
    """Prefix of every key, channel and arq queue name this deployment uses."""

    @property
    def events_channel(self) -> str:
        """Pub/sub channel that wakes the hubs after a domain event commits."""
        return f"{self.prefix}:events"

    @property
    def queue_name(self) -> str:
        """The arq queue of this deployment."""
        return f"{self.prefix}:queue"


@dataclass(frozen=True)
class SecuritySettings:
    """Keys for PHI encryption and blind indexes, and session rules."""

    phi_keys: str = field(
        default_factory=lambda: _env(
            "LEADROUTER_PHI_KEYS", "dev1:" + base64.b64encode(b"development-only-phi-key-32bytes").decode()
        )
    )
    """Comma-separated `key_id:base64(32 bytes)`; the first encrypts, all decrypt (rotation)."""
    blind_index_key: str = field(
        default_factory=lambda: _env(
            "LEADROUTER_BLIND_INDEX_KEY", base64.b64encode(b"development-only-blind-index-key").decode()
        )
    )
    """base64 HMAC key for exact-match lookups on phone and email; never rotates without a reindex."""
    session_idle_minutes: int = field(
        default_factory=lambda: int(_env("LEADROUTER_SESSION_IDLE_MINUTES", "30"))
    )
    """A session unused this long is over; front desks leave tabs open, so not much shorter."""
    session_absolute_hours: int = field(
        default_factory=lambda: int(_env("LEADROUTER_SESSION_ABSOLUTE_HOURS", "12"))
    )
    """No session outlives one working day plus overtime, whatever its activity."""
    csrf_secret: str = field(
        default_factory=lambda: _env("LEADROUTER_CSRF_SECRET", "development-only-csrf-secret-change-me")
    )
    """Signs the CSRF cookie of the staff pages."""
    secure_cookies: bool = field(default_factory=lambda: _env("LEADROUTER_SECURE_COOKIES", "1") != "0")
    """Secure flag on cookies; only a plain-http local demo turns it off."""

    @property
    def uses_development_keys(self) -> bool:
        """True when the built-in development keys are in use (the run command warns)."""
        return "LEADROUTER_PHI_KEYS" not in os.environ


@dataclass(frozen=True)
class IntakeSettings:
    """Limits of the webhook intake."""

    max_body_bytes: int = field(default_factory=lambda: int(_env("LEADROUTER_MAX_BODY_BYTES", "65536")))
    """A form inquiry is a few kilobytes; anything past 64 KiB is not an inquiry (413)."""
    public_url: str = field(default_factory=lambda: _env("LEADROUTER_PUBLIC_URL", "http://127.0.0.1:8000"))
    """The address the outside world uses for us (signatures of Twilio are computed over it)."""


@dataclass(frozen=True)
class Settings:
    """Every subsystem's settings."""

    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, built once from the environment."""
    return Settings()
