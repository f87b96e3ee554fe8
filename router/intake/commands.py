"""What the intake takes and answers: an inquiry command, its result, and why it can be refused."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from router.core.ports import LeadScore
from router.privacy import audit

NAMELESS_SOURCES = ("call", "sms")
"""Inquiries that arrive as a phone number only (a call, a text): no name is required."""


class IdempotencyConflict(Exception):
    """The same delivery id arrived again with a different body."""


class UnknownPractice(LookupError):
    """The inquiry names a practice or location that does not exist."""


@dataclass(frozen=True)
class InquiryCommand:
    """A connector's request to take in one inquiry (the vendor format is already gone)."""

    practice_id: uuid.UUID
    source_kind: str
    """form, call, chat, walk_in, referral, sms."""
    fields: Mapping[str, Any]
    """Flat inquiry fields as the sender gave them (validated here)."""
    received_at: datetime
    actor: audit.Actor
    idempotency_scope: str
    idempotency_key: str
    request_sha256: bytes
    form_source_id: uuid.UUID | None = None
    default_location_id: uuid.UUID | None = None
    channel: str | None = None
    """Known channel (a tracking number's); else classified from the ad-click parameters."""
    referring_physician_id: uuid.UUID | None = None
    referring_office_id: uuid.UUID | None = None
    urgent: bool = False
    """An urgent referral: the lead sorts before other leads, after escalated ones."""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IntakeResult:
    """What happened to an inquiry, and the answer the sender gets (the same on every retry)."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False
    event_ids: tuple[int, ...] = ()
    lead_id: uuid.UUID | None = None
    sla_due_at: datetime | None = None
    score: LeadScore | None = None
    scoring_input: Any = None
    """What the lead was scored on, kept for the explanation computed right after commit."""
