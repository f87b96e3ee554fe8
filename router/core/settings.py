"""Settings of the domain: database, Redis, PHI keys, sessions; read once from the environment."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from functools import lru_cache

DEV_PHI_KEYS = "dev1:" + base64.b64encode(b"development-only-phi-key-32bytes").decode()
"""The built-in PHI key: public (it is in this file), so only for demos and tests (LEADROUTER_DEV=1)."""
DEV_BLIND_INDEX_KEY = base64.b64encode(b"development-only-blind-index-key").decode()
DEV_CSRF_SECRET = "development-only-csrf-secret-change-me"
DEV_AUDIT_KEY = base64.b64encode(b"development-only-audit-chain-key").decode()


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class DatabaseSettings:
    """Where PostgreSQL is."""

    url: str = field(default_factory=lambda: _env("DATABASE_URL", ""))
    """SQLAlchemy URL (postgresql+asyncpg://...); empty means "start an embedded server"."""
    migration_url: str = field(default_factory=lambda: _env("LEADROUTER_MIGRATION_DATABASE_URL", ""))
    """The tables' owner, for `leadrouter migrate` only; the app's own role then cannot alter or
    disable the audit log's triggers. Empty: DATABASE_URL does both (and the app warns at start)."""

    @property
    def owner_url(self) -> str:
        """The URL migrations run with."""
        return self.migration_url or self.url

    @property
    def app_owns_tables(self) -> bool:
        """True when the app connects as the tables' owner (no separate migration role configured)."""
        return not self.migration_url or self.migration_url == self.url

    pool_size: int = field(default_factory=lambda: int(_env("LEADROUTER_DB_POOL_SIZE", "20")))
    """Connections kept open per process; intake holds one per in-flight webhook for a few
    milliseconds. Past it, overflow connections are opened and closed per use, and each new one
    costs a handshake and preparing the hot statements again: size it for the usual concurrency."""


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

    phi_keys: str = field(default_factory=lambda: _env("LEADROUTER_PHI_KEYS", DEV_PHI_KEYS))
    """Comma-separated `key_id:base64(32 bytes)`; the first encrypts, all decrypt (rotation)."""
    blind_index_key: str = field(
        default_factory=lambda: _env("LEADROUTER_BLIND_INDEX_KEY", DEV_BLIND_INDEX_KEY)
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
    csrf_secret: str = field(default_factory=lambda: _env("LEADROUTER_CSRF_SECRET", DEV_CSRF_SECRET))
    """Signs the CSRF cookie of the sign-in forms (signed-in forms carry their session's own token)."""
    audit_key: str = field(default_factory=lambda: _env("LEADROUTER_AUDIT_KEY", DEV_AUDIT_KEY))
    """base64 HMAC key of the audit chain, kept outside the database: without it nobody (not even the
    tables' owner) can recompute the chain after rewriting a row."""
    secure_cookies: bool = field(default_factory=lambda: _env("LEADROUTER_SECURE_COOKIES", "1") != "0")
    """Secure flag on cookies; only a plain-http local demo turns it off."""

    audit_head_file: str = field(
        default_factory=lambda: _env("LEADROUTER_AUDIT_HEAD_FILE", "var/audit/chain-heads.jsonl")
    )
    """Append-only file the worker writes the audit chain's head to every minute; `audit verify`
    checks the table against it. Put it where the database's users cannot rewrite it."""
    audit_head_syslog: str = field(default_factory=lambda: _env("LEADROUTER_AUDIT_HEAD_SYSLOG", ""))
    """Also send each head to syslog: `/dev/log` or `host:port` (UDP); empty for none."""
    dev_mode: bool = field(default_factory=lambda: _env("LEADROUTER_DEV", "0") == "1")
    """LEADROUTER_DEV=1: demos and tests may run on the built-in keys (web and worker refuse otherwise)."""

    def development_secrets(self) -> list[str]:
        """The variables still at their built-in, published development values."""
        built_in = {
            "LEADROUTER_PHI_KEYS": (self.phi_keys, DEV_PHI_KEYS),
            "LEADROUTER_BLIND_INDEX_KEY": (self.blind_index_key, DEV_BLIND_INDEX_KEY),
            "LEADROUTER_CSRF_SECRET": (self.csrf_secret, DEV_CSRF_SECRET),
            "LEADROUTER_AUDIT_KEY": (self.audit_key, DEV_AUDIT_KEY),
        }
        found = [name for name, (value, default) in built_in.items() if value == default]
        dev_key = DEV_PHI_KEYS.partition(":")[2]
        if "LEADROUTER_PHI_KEYS" not in found and any(
            part.partition(":")[2].strip() == dev_key for part in self.phi_keys.split(",")
        ):
            found.insert(0, "LEADROUTER_PHI_KEYS")  # the development key is still one of the keys
        return found

    @property
    def uses_development_keys(self) -> bool:
        """True when any built-in development key or secret is in use (the run command says so)."""
        return bool(self.development_secrets())


@dataclass(frozen=True)
class IntakeSettings:
    """Limits of the webhook intake."""

    max_body_bytes: int = field(default_factory=lambda: int(_env("LEADROUTER_MAX_BODY_BYTES", "65536")))
    """A form inquiry is a few kilobytes; anything past 64 KiB is not an inquiry (413)."""
    public_url: str = field(default_factory=lambda: _env("LEADROUTER_PUBLIC_URL", "http://127.0.0.1:8000"))
    """The address the outside world uses for us (signatures of Twilio are computed over it)."""


@dataclass(frozen=True)
class EmailSettings:
    """The SMTP server that sends managers' escalation emails; no host means email is not configured."""

    host: str = field(default_factory=lambda: _env("LEADROUTER_SMTP_HOST", ""))
    """SMTP server name; empty turns email off (alerts then say "email not configured")."""
    port: int = field(default_factory=lambda: int(_env("LEADROUTER_SMTP_PORT", "587")))
    """587 is the submission port that STARTTLS expects."""
    from_address: str = field(
        default_factory=lambda: _env("LEADROUTER_SMTP_FROM", "Lead Router <alerts@leadrouter.invalid>")
    )
    """The From header of every email we send."""
    username: str = field(default_factory=lambda: _env("LEADROUTER_SMTP_USERNAME", ""))
    """Login name; empty sends without authenticating (a local relay)."""
    password: str = field(default_factory=lambda: _env("LEADROUTER_SMTP_PASSWORD", ""))
    """Login password, used only with a username."""
    starttls: bool = field(default_factory=lambda: _env("LEADROUTER_SMTP_STARTTLS", "1") != "0")
    """Upgrade the connection with STARTTLS before logging in; only a local relay turns it off."""
    timeout_seconds: float = field(default_factory=lambda: float(_env("LEADROUTER_SMTP_TIMEOUT", "10")))
    """A mail server answers in well under a second; ten means it is down, and the worker moves on."""


@dataclass(frozen=True)
class TwilioSettings:
    """One Twilio account for every practice (per-practice subaccounts can come later); empty SID = off."""

    account_sid: str = field(default_factory=lambda: _env("LEADROUTER_TWILIO_ACCOUNT_SID", ""))
    """The account SID (AC...); empty turns phones and texts off."""
    auth_token: str = field(default_factory=lambda: _env("LEADROUTER_TWILIO_AUTH_TOKEN", ""))
    """Signs Twilio's webhooks and authenticates our REST calls."""
    api_base_url: str = field(
        default_factory=lambda: _env("LEADROUTER_TWILIO_API_BASE_URL", "https://api.twilio.com")
    )
    """Where Twilio's REST API answers; tests and the offline demo point it at a local fake."""
    public_url: str = field(default_factory=lambda: _env("LEADROUTER_TWILIO_PUBLIC_URL", ""))
    """The URL Twilio calls us at (behind a TLS proxy: the proxy's); empty means LEADROUTER_PUBLIC_URL."""

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token)


@dataclass(frozen=True)
class ScoringSettings:
    """Lead-score models: when to retrain, how much history a practice needs, how fast swaps spread."""

    retrain_cron: str = field(default_factory=lambda: _env("LEADROUTER_RETRAIN_CRON", "0 3 1 * *"))
    """Crontab "minute hour day month weekday" (numbers, lists, *) of retraining: 03:00 on the 1st."""
    min_practice_leads: int = field(
        default_factory=lambda: int(_env("LEADROUTER_MIN_PRACTICE_LEADS", "1500"))
    )
    """Closed leads a practice needs for its own model: below that its holdout AUC is mostly noise."""
    recalibrate_min_leads: int = field(
        default_factory=lambda: int(_env("LEADROUTER_RECALIBRATE_MIN_LEADS", "300"))
    )
    """Closed leads after which the pooled model is recalibrated to a practice's own booking rate."""
    history_upload_max_bytes: int = field(
        default_factory=lambda: int(_env("LEADROUTER_HISTORY_UPLOAD_MAX_BYTES", str(20_000_000)))
    )
    """Largest lead-history file the models page accepts (about 80,000 leads with their messages)."""
    history_months: int = field(default_factory=lambda: int(_env("LEADROUTER_HISTORY_MONTHS", "18")))
    """Months of history each retraining uses: long enough for a season twice, short enough to drift."""
    models_check_seconds: float = field(
        default_factory=lambda: float(_env("LEADROUTER_MODELS_CHECK_SECONDS", "5"))
    )
    """Backstop poll of the active versions, for a promotion whose Redis doorbell was lost."""


@dataclass(frozen=True)
class OpsSettings:
    """Running the service: the status endpoint's token for monitoring, where backups go."""

    status_token: str = field(default_factory=lambda: _env("LEADROUTER_STATUS_TOKEN", ""))
    """Bearer token a monitoring system sends to GET /api/status; empty: only signed-in operators and
    practice admins may read it. It reveals no lead data, only whether the service's parts run."""
    backup_dir: str = field(default_factory=lambda: _env("LEADROUTER_BACKUP_DIR", "var/backups"))
    """Where `leadrouter backup` writes its files when no path is given."""


@dataclass(frozen=True)
class Settings:
    """Every subsystem's settings."""

    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    ops: OpsSettings = field(default_factory=OpsSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, built once from the environment."""
    return Settings()
