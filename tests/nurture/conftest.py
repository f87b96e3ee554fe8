"""Nurture fixtures: the local SMTP server, the local Twilio-format server, a practice ready to nurture."""

from __future__ import annotations

import pytest

from connectors.email.smtp import SmtpConfig, SmtpEmailSender
from connectors.twilio.config import TwilioConfig
from connectors.twilio.fake import FakeTwilio
from connectors.twilio.gateway import TwilioPhoneGateway
from router.core.ports import PatientEmailNotConfigured, PhonesNotConfigured
from tests.escalation.support import start_smtp_server

ACCOUNT_SID = "AC" + "0" * 31 + "7"
AUTH_TOKEN = "nurture-test-token-0123456789abcd"


@pytest.fixture
def mailbox():  # type: ignore[no-untyped-def]
    controller, box = start_smtp_server()
    box.port = controller.port
    yield box
    controller.stop()


@pytest.fixture
async def fake_twilio():  # type: ignore[no-untyped-def]
    fake = await FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    yield fake
    await fake.stop()


@pytest.fixture
def nurture_domain(domain, mailbox, fake_twilio):  # type: ignore[no-untyped-def]
    """The domain with patient email on the local SMTP server and texts on the local Twilio server."""
    domain.patient_email = SmtpEmailSender(
        SmtpConfig(
            host="127.0.0.1",
            port=mailbox.port,
            from_address="Lead Router <mail@leadrouter.example>",
            starttls=False,
        )
    )
    domain.phones = TwilioPhoneGateway(
        TwilioConfig(
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            api_base_url=fake_twilio.base_url,
            public_url="https://leads.example.com",
        )
    )
    yield domain
    domain.patient_email = PatientEmailNotConfigured()
    domain.phones = PhonesNotConfigured()
