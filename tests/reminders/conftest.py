"""Reminder fixtures: texts on the local Twilio-format server, emails on the local SMTP server, the
app with the Twilio webhooks mounted (signed posts), and the local FHIR server."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from connectors.email.smtp import SmtpConfig, SmtpEmailSender
from connectors.pms.fhir_server import FhirTestServer
from connectors.twilio.config import TwilioConfig
from connectors.twilio.gateway import TwilioPhoneGateway
from router.core.ports import PatientEmailNotConfigured
from router.phones.texts import RuleCheckedSmsSender
from tests.fixtures.outbox import OUTBOX_ACCOUNT_SID, OUTBOX_AUTH_TOKEN

PUBLIC_URL = "https://leads.example.com"


@pytest.fixture
def mailbox(outbox_mailbox):  # type: ignore[no-untyped-def]
    return outbox_mailbox


@pytest.fixture
def fake_twilio(outbox_twilio):  # type: ignore[no-untyped-def]
    return outbox_twilio


@pytest.fixture
def twilio_config(fake_twilio) -> TwilioConfig:  # type: ignore[no-untyped-def]
    return TwilioConfig(
        account_sid=OUTBOX_ACCOUNT_SID,
        auth_token=OUTBOX_AUTH_TOKEN,
        api_base_url=fake_twilio.base_url,
        public_url=PUBLIC_URL,
    )


@pytest.fixture
def reminders(domain, mailbox, twilio_config):  # type: ignore[no-untyped-def]
    """The domain with patient email on the local SMTP server and texts on the local Twilio server."""
    saved = (domain.phones, domain.sms)
    domain.patient_email = SmtpEmailSender(
        SmtpConfig(
            host="127.0.0.1", port=mailbox.port, from_address="Lead Router <mail@lr.example>", starttls=False
        )
    )
    domain.phones = TwilioPhoneGateway(twilio_config)
    domain.sms = RuleCheckedSmsSender(domain)
    yield domain
    domain.patient_email = PatientEmailNotConfigured()
    domain.phones, domain.sms = saved


@pytest.fixture
async def twilio_client(runtime, reminders, twilio_config):  # type: ignore[no-untyped-def]
    """An HTTP client on the real app with the Twilio webhooks mounted."""
    from leadrouter.runtime import build_web_app

    app = build_web_app(dataclasses.replace(runtime, twilio=twilio_config))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.50", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5:8000") as client:
        client.domain = reminders
        yield client


@pytest.fixture
async def fhir_server():  # type: ignore[no-untyped-def]
    server = await FhirTestServer().start()
    yield server
    await server.stop()
