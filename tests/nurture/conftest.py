"""Nurture fixtures under the names the nurture tests use: the local SMTP server, the local
Twilio-format server and the domain wired to both (shared with other areas: tests/fixtures/outbox.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def mailbox(outbox_mailbox):  # type: ignore[no-untyped-def]
    return outbox_mailbox


@pytest.fixture
def fake_twilio(outbox_twilio):  # type: ignore[no-untyped-def]
    return outbox_twilio


@pytest.fixture
def nurture_domain(outbox_domain):  # type: ignore[no-untyped-def]
    return outbox_domain
