"""Helpers of the escalation and dashboard tests: leads at a frozen time, a local SMTP server."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select

from leadrouter.embedded import EmbeddedServices
from router.core.clock import FrozenClock
from router.core.domain import Domain
from router.core.models import Lead
from router.intake.pipeline import InquiryCommand, ingest_inquiry
from router.privacy.audit import Actor
from tests.factories import inquiry
from tests.fixtures.live import free_port

_phone_numbers = itertools.count(1000)


def freeze(domain: Domain, at: datetime) -> FrozenClock:
    """Freeze the domain's clock and the process clock (the domain fixture restores both)."""
    clock = FrozenClock(at)
    domain.clock = clock
    return clock


async def new_lead(domain: Domain, practice_id: uuid.UUID, **fields: Any) -> Lead:
    """A lead taken in through the real intake at the domain clock's now."""
    key = uuid.uuid4().hex
    source_kind, channel = fields.pop("source_kind", "form"), fields.pop("channel", None)
    fields.setdefault("phone", f"(512) 867-{next(_phone_numbers) % 10000:04d}")
    fields.setdefault("email", f"{key[:10]}@example.com")
    result = await ingest_inquiry(
        domain,
        InquiryCommand(
            practice_id=practice_id,
            source_kind=source_kind,
            fields=inquiry(**fields),
            received_at=domain.clock.now(),
            actor=Actor("integration", "test"),
            idempotency_scope="test",
            idempotency_key=key,
            request_sha256=key.encode(),
            channel=channel,
        ),
    )
    assert result.status_code == 201, result.body
    return await load_lead(domain, result.lead_id)  # type: ignore[arg-type]


async def load_lead(domain: Domain, lead_id: uuid.UUID) -> Lead:
    async with domain.sessionmaker() as session:
        lead = await session.scalar(select(Lead).where(Lead.id == lead_id))
    assert lead is not None
    return lead


@dataclass
class Mailbox:
    """What a local SMTP server received."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                message_from_bytes(envelope.original_content, policy=policy.default),
            )
        )
        return "250 Message accepted for delivery"


def start_smtp_server() -> tuple[Controller, Mailbox]:
    """An aiosmtpd server on a free local port (its own thread); stop it with `controller.stop()`."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, mailbox


class PrivateRedis:
    """A redis-server of this test's own (the shared one must never be killed), on a fixed port."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.services: EmbeddedServices | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.services = EmbeddedServices(
            self.data_dir, want_postgres=False, want_redis=True, redis_port=self.port
        )
        self.services.start()

    def kill(self) -> None:
        """SIGKILL: no goodbye to clients, no final write of its data."""
        assert self.services is not None and self.services.redis and self.services.redis.process
        self.services.redis.process.kill()
        self.services.redis.process.wait()
        self.services.stop()
        self.services = None

    def stop(self) -> None:
        if self.services is not None:
            self.services.stop()
            self.services = None
