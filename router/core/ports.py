"""What the domain needs from the outside, declared here and implemented by realtime/ and the worker."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

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

    async def schedule_nurture_send(self, message_id: uuid.UUID, *, at: datetime) -> None:
        """Send a queued nurture message (email or text) at `at`."""
        ...

    async def schedule_pms_sync(self, practice_id: uuid.UUID, *, at: datetime) -> None:
        """Sync one practice's PMS now (its PMS said something changed)."""
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


@dataclass(frozen=True)
class PatientEmail:
    """One patient email as the nurture engine composes it; the connector turns it into MIME."""

    sender_name: str
    sender_address: str | None
    """The practice's own address; None sends from the deployment's default From address."""
    to: str
    subject: str
    text: str
    """The body as the patient reads it; the connector lays it out as HTML too."""
    unsubscribe_url: str
    """Shown in the footer and sent as List-Unsubscribe with one-click (RFC 8058) POST support."""
    open_pixel_url: str | None = None
    reply_to: str | None = None
    message_key: str = ""
    """Our outbox id, carried in a header so a bounce can be matched to its message."""
    reply_token: str | None = None
    """Carried in the Message-ID: a reply's In-Reply-To and a bounce's returned headers name it."""


class PatientEmailSender(Protocol):
    """Submits a patient email; returns its Message-ID. Raises on refusal (see `EmailRefused`)."""

    async def send_patient_email(self, email: PatientEmail) -> str: ...


class EmailRefused(Exception):
    """The mail server answered no, so the message was certainly not accepted; `permanent` for a 5xx.

    Any other exception from a send means the outcome is unknown (the connection broke after the
    message was handed over): the engine never resends those.
    """

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class PatientEmailNotConfigured:
    """The patient email port without SMTP settings."""

    async def send_patient_email(self, email: PatientEmail) -> str:
        raise PortNotConfigured("email not configured")


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

    def __init__(self, message: str, *, permanent: bool, unknown: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.unknown = unknown
        """The request may have reached the provider (a time-out after sending): check, never resend."""


class PhoneGateway(Protocol):
    """The telephony provider (Twilio): send one text, start one call; rules live in router/sms.py."""

    async def send_message(self, *, from_number: str, to: str, body: str, message_id: uuid.UUID) -> str:
        """Send one text; returns the provider's id; status callbacks name our `message_id`."""
        ...

    async def start_call(self, *, from_number: str, to: str, call_id: uuid.UUID) -> str:
        """Ring `to`; when answered the provider asks our signed callback what to do with call `call_id`."""
        ...

    async def find_message(self, *, from_number: str, to: str, body: str, since: datetime) -> str | None:
        """The id of a text the provider took from us to `to` with this body since `since`, if any.

        What an unknown outcome (a crash between the provider's answer and our commit) is checked
        against before any retry, so a patient never gets the same text twice.
        """
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

    async def find_message(self, *, from_number: str, to: str, body: str, since: datetime) -> str | None:
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


class PatientDirectory(Protocol):
    """The practice-management patients as matching needs them (the PMS sync owns those tables).

    Records are plain dicts (decrypted, `record_id` = the patient's id; see router/matching/records.py).
    """

    async def patient_records(self, session: AsyncSession, practice_id: uuid.UUID) -> list[dict[str, Any]]:
        """Every patient of the practice as a comparable record."""
        ...

    async def lead_links(self, session: AsyncSession, practice_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID]:
        """Lead id -> patient id for the leads already linked (by exact match, matcher or manager)."""
        ...

    async def link(
        self,
        session: AsyncSession,
        *,
        practice_id: uuid.UUID,
        lead_id: uuid.UUID,
        patient_id: uuid.UUID,
        method: str,
        probability: float | None,
    ) -> None:
        """Record that the lead is this patient; `method` is "matcher" or "review"."""
        ...

    async def lifetime_values(self, session: AsyncSession, practice_id: uuid.UUID) -> dict[uuid.UUID, float]:
        """Lead id -> its linked patient's completed treatment value so far (leads with a value only)."""
        ...


class NoPatientDirectory:
    """Until the composition root wires the PMS patients in: no patients, so nothing matches or links."""

    async def patient_records(self, session: AsyncSession, practice_id: uuid.UUID) -> list[dict[str, Any]]:
        return []

    async def lead_links(self, session: AsyncSession, practice_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID]:
        return {}

    async def link(self, session: AsyncSession, **link: Any) -> None:
        raise PortNotConfigured("practice-management patients not connected")

    async def lifetime_values(self, session: AsyncSession, practice_id: uuid.UUID) -> dict[uuid.UUID, float]:
        return {}


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
