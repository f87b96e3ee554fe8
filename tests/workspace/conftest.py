"""Workspace fixtures: the phones fixtures (a local Twilio-format server, the app with its webhooks)."""

from tests.phones.conftest import fake_twilio, phones, twilio_client, twilio_config  # noqa: F401
