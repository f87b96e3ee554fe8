"""Phones fixtures: a fake Twilio REST server, the app with Twilio webhooks mounted, signed posts."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from connectors.twilio.config import TwilioConfig
from connectors.twilio.fake import FakeTwilio
from connectors.twilio.gateway import TwilioPhoneGateway
from router.phones.texts import RuleCheckedSmsSender

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://leads.example.com"
"""What Twilio calls (the TLS proxy); the test client reaches the app at another, internal address."""
INTERNAL_URL = "http://10.0.0.5:8000"


@pytest.fixture
async def fake_twilio():  # type: ignore[no-untyped-def]
    fake = await FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    yield fake
    await fake.stop()


@pytest.fixture
def twilio_config(fake_twilio) -> TwilioConfig:  # type: ignore[no-untyped-def]
    return TwilioConfig(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        api_base_url=fake_twilio.base_url,
        public_url=PUBLIC_URL,
    )


@pytest.fixture
async def phones(runtime, domain, twilio_config):  # type: ignore[no-untyped-def]
    """The domain with Twilio wired in as production does it (gateway + rule-checked SMS sender)."""
    saved = (domain.phones, domain.sms)
    domain.phones = TwilioPhoneGateway(twilio_config)
    domain.sms = RuleCheckedSmsSender(domain)
    yield domain
    domain.phones, domain.sms = saved


@pytest.fixture
async def twilio_client(runtime, phones, twilio_config):  # type: ignore[no-untyped-def]
    """An HTTP client on the real app with the Twilio webhooks mounted, at an internal address."""
    from leadrouter.runtime import build_web_app

    app = build_web_app(dataclasses.replace(runtime, twilio=twilio_config))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.50", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=INTERNAL_URL) as client:
        yield client
