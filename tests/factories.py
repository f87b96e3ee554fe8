"""Small factories for tests: practices, locations, staff, form sources, signed deliveries."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.forms.signature import sign_delivery
from router.core.clock import Clock
from router.core.domain import Domain
from router.core.models import Location, Practice, Provider
from router.intake.form_sources import create_form_source
from router.privacy.auth import create_user

ALL_WEEK = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
PASSWORD = "correct horse battery"


@dataclass
class PracticeFixture:
    practice: Practice
    locations: dict[str, Location]
    form_key: str
    secret: str
    staff: dict[str, Any] = field(default_factory=dict)


async def make_practice(
    domain: Domain,
    *,
    slug: str = "bright",
    settings: dict[str, Any] | None = None,
    locations: dict[str, dict[str, Any]] | None = None,
    staff: dict[str, dict[str, Any]] | None = None,
    time_zone: str = "America/Chicago",
) -> PracticeFixture:
    """A practice with locations (open all week unless told otherwise), staff and one form source."""
    locations = locations or {"downtown": {"zip": "78701", "latitude": 30.27, "longitude": -97.74}}
    async with domain.sessionmaker() as session, session.begin():
        practice = Practice(
            id=uuid.uuid4(),
            slug=slug,
            name=f"{slug.title()} Dental",
            time_zone=time_zone,
            settings=settings or {},
            support_phone="+15125550100",
        )
        session.add(practice)
        await session.flush()
        created: dict[str, Location] = {}
        for loc_slug, spec in locations.items():
            location = Location(
                id=uuid.uuid4(),
                practice_id=practice.id,
                slug=loc_slug,
                name=f"{loc_slug.title()} Office",
                time_zone=spec.get("time_zone", time_zone),
                zip=spec.get("zip"),
                latitude=spec.get("latitude"),
                longitude=spec.get("longitude"),
                business_hours=spec.get("business_hours", ALL_WEEK),
                holidays=spec.get("holidays", []),
                phone=spec.get("phone"),
            )
            session.add(location)
            created[loc_slug] = location
        await session.flush()
        session.add(
            Provider(practice_id=practice.id, name="Dr. Maria Chen", title="DDS", specialty="orthodontics")
        )
        form_key = f"{slug}-website"
        _, secret = await create_form_source(
            session, domain, practice_id=practice.id, key=form_key, name="Website contact form"
        )
        users = {}
        for email, spec in (staff or {}).items():
            users[email] = await create_user(
                session,
                email=email,
                display_name=spec.get("name", email.split("@")[0].title()),
                password=PASSWORD,
                role=spec.get("role", "front_desk"),
                practice_id=practice.id,
                location_ids=[created[s].id for s in spec.get("locations", list(created))],
                handles_priority=spec.get("handles_priority", False),
            )
            if "availability" in spec:
                users[email].availability = spec["availability"]
            if "shift" in spec:
                users[email].shift = spec["shift"]
    return PracticeFixture(practice, created, form_key, secret, users)


def inquiry(**overrides: Any) -> dict[str, Any]:
    """A valid flat form inquiry."""
    body: dict[str, Any] = {
        "first_name": "Ana",
        "last_name": "Lopez",
        "email": "ana.lopez@example.com",
        "phone": "(512) 867-5309",
        "zip": "78701",
        "treatment_interest": "orthodontics",
        "message": "Do you take Delta Dental? My daughter needs braces soon.",
        "sms_consent": True,
        "sms_consent_text_version": "2026-01",
        "consent_page": "https://brightsmile.example/contact",
        "client_ip": "203.0.113.9",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "braces-austin",
        "gclid": "Cj0KCQiA",
        "pages_visited": 4,
        "time_on_site_seconds": 210,
        "device_type": "mobile",
        "form_completion_seconds": 48,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def signed(
    body: dict[str, Any] | bytes,
    secret: str,
    *,
    webhook_id: str | None = None,
    at: datetime | None = None,
    content_type: str = "application/json",
) -> tuple[bytes, dict[str, str]]:
    """Raw bytes and Standard Webhooks headers, as a form provider sends them (signed now, by the
    wall clock the receiver checks, unless `at` says otherwise)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = sign_delivery(
        raw, secret=secret, webhook_id=webhook_id or f"msg_{uuid.uuid4().hex}", at=at or Clock().now()
    )
    headers["content-type"] = content_type
    return raw, headers


async def open_staff_session(domain: Domain, user: Any) -> str:
    """A signed-in session for a staff user, as the login page would open it; returns the cookie token."""
    from router.privacy.auth import open_session

    async with domain.sessionmaker() as session, session.begin():
        return await open_session(
            session,
            user,
            settings=domain.settings.security,
            now=domain.clock.now(),
            ip=None,
            user_agent="tests",
        )


async def viewer_of(domain: Domain, user: Any) -> Any:
    """The access scope of a staff user (what a signed-in request would carry)."""
    from router.privacy.access import load_viewer

    async with domain.sessionmaker() as session:
        return await load_viewer(session, user)


async def add_desk_staff(
    domain: Domain, fixture: PracticeFixture, count: int, *, prefix: str = "desk"
) -> list[Any]:
    """Many front-desk users at every location, sharing one password hash (argon2 per user is slow)."""
    from router.core.models import StaffLocation, StaffUser
    from router.privacy.auth import hash_password

    password_hash = hash_password(PASSWORD)
    users = []
    async with domain.sessionmaker() as session, session.begin():
        for i in range(count):
            user = StaffUser(
                id=uuid.uuid4(),
                email=f"{prefix}{i}@{fixture.practice.slug}.example",
                display_name=f"{prefix.title()} {i:02d}",
                password_hash=password_hash,
                role="front_desk",
                practice_id=fixture.practice.id,
                availability="available",
            )
            session.add(user)
            users.append(user)
        await session.flush()
        for user in users:
            for location in fixture.locations.values():
                session.add(StaffLocation(user_id=user.id, location_id=location.id))
    return users


async def enrol_authenticator(domain: Domain, user: Any) -> str:
    """Give a user an authenticator (as the set-up page would); returns its secret."""
    from router.core.models import StaffUser
    from router.privacy import mfa

    secret = mfa.new_secret()
    async with domain.sessionmaker() as session, session.begin():
        stored = await session.get(StaffUser, user.id)
        await mfa.store_enrolment(session, domain, stored, secret)
    return secret


async def current_code(domain: Domain, email: str) -> str:
    """The next code the user's authenticator would accept (one not used yet)."""
    import time

    import pyotp
    from sqlalchemy import select

    from router.core.models import StaffUser
    from router.core.phi_columns import STAFF_TOTP_SECRET
    from router.privacy.mfa import STEP_SECONDS

    async with domain.sessionmaker() as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
    secret = domain.cipher.open(user.totp_secret_enc, column=STAFF_TOTP_SECRET, row_id=user.id)
    step = max(int(time.time() // STEP_SECONDS), (user.totp_last_step or 0) + 1)
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


async def sign_in(client: Any, domain: Domain, email: str, password: str = PASSWORD) -> Any:
    """Sign in through the pages as a person would, with the second step when their account has one."""
    await client.get("/login")
    token = client.cookies.get("csrftoken")
    answer = await client.post("/login", data={"email": email, "password": password, "_csrf_token": token})
    if answer.status_code == 303 and answer.headers["location"] == "/login/second-factor":
        import re

        import pyotp

        page = await client.get("/login/second-factor")
        shown = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text)
        # A first set-up shows its key (as a person would type it); else the stored authenticator's.
        code = pyotp.TOTP(shown.group(1)).now() if shown else await current_code(domain, email)
        answer = await client.post("/login/second-factor", data={"code": code, "_csrf_token": token})
    assert answer.status_code in (200, 302, 303), answer.text
    return answer


async def csrf_of(client: Any) -> str:
    """The signed-in session's own CSRF token, as every page carries it (`_csrf_token`)."""
    import re

    page = await client.get("/account")
    return re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
