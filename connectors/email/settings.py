"""The SMTP connector's settings (LEADROUTER_SMTP_*), read from the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from router.core.settings import env


@dataclass(frozen=True)
class EmailSettings:
    """The SMTP server that sends managers' escalation emails; no host means email is not configured."""

    host: str = field(default_factory=lambda: env("LEADROUTER_SMTP_HOST", ""))
    """SMTP server name; empty turns email off (alerts then say "email not configured")."""
    port: int = field(default_factory=lambda: int(env("LEADROUTER_SMTP_PORT", "587")))
    """587 is the submission port that STARTTLS expects."""
    from_address: str = field(
        default_factory=lambda: env("LEADROUTER_SMTP_FROM", "Lead Router <alerts@leadrouter.invalid>")
    )
    """The From header of every email we send."""
    username: str = field(default_factory=lambda: env("LEADROUTER_SMTP_USERNAME", ""))
    """Login name; empty sends without authenticating (a local relay)."""
    password: str = field(default_factory=lambda: env("LEADROUTER_SMTP_PASSWORD", ""))
    """Login password, used only with a username."""
    starttls: bool = field(default_factory=lambda: env("LEADROUTER_SMTP_STARTTLS", "1") != "0")
    """Upgrade the connection with STARTTLS before logging in; only a local relay turns it off."""
    timeout_seconds: float = field(default_factory=lambda: float(env("LEADROUTER_SMTP_TIMEOUT", "10")))
    """A mail server answers in well under a second; ten means it is down, and the worker moves on."""
