"""Referral fixtures: two practices, a referring office partnered with both, another with one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import PracticeFixture, make_practice
from tests.fixtures.referrers import ReferringOfficeFixture, make_referring_office

TWO_OFFICES = {
    "downtown": {"zip": "78701", "latitude": 30.27, "longitude": -97.74},
    "lakeway": {"zip": "78734", "latitude": 30.36, "longitude": -97.98},
}


@dataclass
class ReferralWorld:
    bright: PracticeFixture
    north: PracticeFixture
    hill: ReferringOfficeFixture
    lake: ReferringOfficeFixture

    def person(self, email: str) -> Any:
        return {**self.bright.staff, **self.north.staff, **self.hill.people, **self.lake.people}[email]


@pytest.fixture
async def referral_world(domain: Any) -> ReferralWorld:
    bright = await make_practice(
        domain,
        locations=TWO_OFFICES,
        staff={
            "desk@bright.example": {"name": "Ana Front", "locations": ["downtown", "lakeway"]},
            "maya@bright.example": {"role": "manager", "name": "Maya Manager"},
        },
    )
    north = await make_practice(domain, slug="north", staff={"desk@north.example": {"name": "Nick"}})
    hill = await make_referring_office(
        domain,
        name="Hill Country Pediatrics",
        practices=[bright, north],
        people={
            "house@hill.example": "physician",
            "wilson@hill.example": "physician",
            "frank@hill.example": "physician_office",
        },
    )
    lake = await make_referring_office(
        domain, name="Lake Family Medicine", practices=[bright], people={"cuddy@lake.example": "physician"}
    )
    return ReferralWorld(bright, north, hill, lake)


@pytest.fixture
def mailing_domain(domain: Any) -> Any:
    """The domain sending email through a real local SMTP server; yields (domain, mailbox)."""
    from connectors.email.smtp import SmtpConfig, SmtpEmailSender
    from router.core.ports import EmailNotConfigured
    from tests.escalation.support import start_smtp_server

    controller, mailbox = start_smtp_server()
    domain.email = SmtpEmailSender(
        SmtpConfig(
            host="127.0.0.1", port=controller.port, from_address="portal@bright.example", starttls=False
        )
    )
    yield domain, mailbox
    domain.email = EmailNotConfigured()
    controller.stop()


@pytest.fixture
def scanning_domain(domain: Any) -> Any:
    """The domain with a virus scanner that flags the EICAR test string (restored afterwards)."""
    from router.core.ports import NoScanner
    from tests.fixtures.referrers import FakeScanner

    domain.scanner = FakeScanner()
    yield domain
    domain.scanner = NoScanner()
