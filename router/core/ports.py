"""What the domain needs from the outside, declared here and implemented by realtime/ and the worker."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from router.marketing.journeys import PracticeJourneys
    from scoring.features import ScoringInput


class EventAnnouncer(Protocol):
    """Rings the doorbell of every hub after domain events commit (may drop: the table is the truth)."""

    async def announce(self, event_ids: Sequence[int]) -> None: ...


class JobScheduler(Protocol):
    """Defers domain work to the background worker, with ids only in the job arguments."""

    async def schedule_escalation(self, lead_id: uuid.UUID, *, level: int, at: datetime) -> None: ...

    async def schedule_text(self, message_id: uuid.UUID, *, at: datetime) -> None:
        """Send a deferred text message (quiet hours, a transient fault) at `at`."""
        ...


@dataclass(frozen=True)
class LeadScore:
    """A model's verdict on a lead."""

    value: int
    version: str
    pooled: bool
    """Scored by the pooled model (as is, or recalibrated to the practice): provisional until the
    practice has a promoted model trained on its own history."""


class LeadScorer(Protocol):
    """Scores a lead in-process; None means there is no model yet and the lead shows as unscored."""

    def score(self, practice_id: uuid.UUID, scoring_input: ScoringInput) -> LeadScore | None: ...

    def explain(
        self, practice_id: uuid.UUID, scoring_input: ScoringInput, version: str
    ) -> list[str] | None: ...


class NoScorer:
    """The scorer before any model is promoted: every lead is unscored."""

    def score(self, practice_id: uuid.UUID, scoring_input: ScoringInput) -> LeadScore | None:
        return None

    def explain(self, practice_id: uuid.UUID, scoring_input: ScoringInput, version: str) -> list[str] | None:
        return None


class NullAnnouncer:
    """Announces nothing (CLI tools that write no live data)."""

    async def announce(self, event_ids: Sequence[int]) -> None:
        return None


class PortNotConfigured(RuntimeError):
    """The deployment has no implementation of this port; the caller records that, never a success."""


class SmsSender(Protocol):
    """Sends a text message; returns the provider's message id, or None when it was not sent (opt-out)."""

    async def send_sms(
        self, *, practice_id: uuid.UUID, to: str, body: str, automated: bool
    ) -> str | None: ...


class EmailSender(Protocol):
    """Sends a plain-text email; returns the Message-ID it was sent with."""

    async def send_email(self, *, to: str, subject: str, body: str) -> str: ...


class SmsNotConfigured:
    """The SMS port until the phones connector is wired in: every send says so."""

    async def send_sms(self, *, practice_id: uuid.UUID, to: str, body: str, automated: bool) -> str | None:
        raise PortNotConfigured("SMS not configured")


class EmailNotConfigured:
    """The email port without SMTP settings (LEADROUTER_SMTP_HOST unset): every send says so."""

    async def send_email(self, *, to: str, subject: str, body: str) -> str:
        raise PortNotConfigured("email not configured")


class PhoneGatewayError(Exception):
    """The telephony provider refused or could not be reached; `permanent` says a retry will not help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class PhoneGateway(Protocol):
    """The telephony provider (Twilio): send one text, start one call; rules live in router/sms.py."""

    async def send_message(self, *, from_number: str, to: str, body: str, message_id: uuid.UUID) -> str:
        """Send one text; returns the provider's id; status callbacks name our `message_id`."""
        ...

    async def start_call(self, *, from_number: str, to: str, call_id: uuid.UUID) -> str:
        """Ring `to`; when answered the provider asks our signed callback what to do with call `call_id`."""
        ...

    async def fetch_recording(self, recording_sid: str) -> bytes:
        """A call's recording as MP3, fetched with the account's credentials (never a public link)."""
        ...


class PhonesNotConfigured:
    """The telephony port without Twilio settings (LEADROUTER_TWILIO_ACCOUNT_SID unset)."""

    async def send_message(self, *, from_number: str, to: str, body: str, message_id: uuid.UUID) -> str:
        raise PortNotConfigured("Twilio not configured")

    async def start_call(self, *, from_number: str, to: str, call_id: uuid.UUID) -> str:
        raise PortNotConfigured("Twilio not configured")

    async def fetch_recording(self, recording_sid: str) -> bytes:
        raise PortNotConfigured("Twilio not configured")


@dataclass(frozen=True)
class AttributedRun:
    """What an attribution run stores: the page's JSON-able results and the conversions they credit."""

    results: dict[str, Any]
    conversions: float


class AttributionEngine(Protocol):
    """Credits channels for a window's journeys (CPU-bound: called in a thread), with spend per channel."""

    def attribute(
        self, journeys: PracticeJourneys, spend: dict[str, dict[str, float]], *, order: int
    ) -> AttributedRun: ...


class AttributionNotConfigured:
    """The attribution port until the composition root wires the engine in: every run fails saying so."""

    def attribute(
        self, journeys: PracticeJourneys, spend: dict[str, dict[str, float]], *, order: int
    ) -> AttributedRun:
        raise PortNotConfigured("attribution engine not configured")


@dataclass(frozen=True)
class ScanVerdict:
    """What a virus scanner said of a file: clean, or the name of what it found."""

    clean: bool
    scanner: str
    """Which scanner answered ("none" when no scanner is configured)."""
    found: str | None = None


class VirusScanner(Protocol):
    """Scans an uploaded file's bytes before they are stored; raises when the scanner cannot answer."""

    async def scan(self, content: bytes) -> ScanVerdict: ...


class NoScanner:
    """No scanner configured: every file passes, marked as unscanned ("none") where it is stored."""

    async def scan(self, content: bytes) -> ScanVerdict:
        return ScanVerdict(clean=True, scanner="none")


@dataclass(frozen=True)
class ChatAccount:
    """Where a chat source's replies go: a Chatwoot installation, its account and access token."""

    api_base_url: str
    account_id: int
    api_token: str


class ChatDeliveryError(Exception):
    """The chat service refused or could not be reached; the message says why, without patient data."""


class ChatReplies(Protocol):
    """Sends a reply typed in the product into a chat conversation; returns the service's message id."""

    async def send_reply(self, account: ChatAccount, *, conversation_id: str, content: str) -> str: ...


class ChatNotConfigured:
    """No chat connector wired in: every reply says so."""

    async def send_reply(self, account: ChatAccount, *, conversation_id: str, content: str) -> str:
        raise PortNotConfigured("chat replies not configured")
