"""Fixtures of the escalation tests: a local SMTP server and a recording SMS port on the domain."""

from __future__ import annotations

import uuid

import pytest

from connectors.email.smtp import SmtpConfig, SmtpEmailSender
from router.core.ports import EmailNotConfigured, SmsNotConfigured
from tests.escalation.support import start_smtp_server


class RecordingSms:
    """Stands in for the phones connector at the process boundary: keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send_sms(self, *, practice_id: uuid.UUID, to: str, body: str, automated: bool) -> str | None:
        self.sent.append({"practice_id": practice_id, "to": to, "body": body, "automated": automated})
        return f"SM{len(self.sent):032d}"


@pytest.fixture
def smtp_server():
    controller, mailbox = start_smtp_server()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def notifying_domain(domain, smtp_server):
    controller, _ = smtp_server
    domain.email = SmtpEmailSender(
        SmtpConfig(
            host="127.0.0.1",
            port=controller.port,
            from_address="Lead Router <alerts@bright.example>",
            starttls=False,
        )
    )
    domain.sms = RecordingSms()
    yield domain
    domain.email = EmailNotConfigured()
    domain.sms = SmsNotConfigured()
