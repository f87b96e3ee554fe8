"""The security tests' world: two practices, a call center, referring offices and one person per role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import update

from router.core.models import CallCenter, CallCenterPractice, Lead, ReferringOffice
from router.privacy.auth import create_user
from tests.board.helpers import new_lead
from tests.factories import PASSWORD, PracticeFixture, make_practice

TWO_OFFICES = {
    "downtown": {"zip": "78701", "latitude": 30.27, "longitude": -97.74},
    "lakeway": {"zip": "78734", "latitude": 30.36, "longitude": -97.98},
}


@dataclass
class World:
    leads: dict[str, uuid.UUID]
    people: dict[str, object]
    expected: dict[str, set[str]]
    practice: PracticeFixture


@pytest.fixture
async def world(domain) -> World:
    bright = await make_practice(
        domain,
        locations=TWO_OFFICES,
        staff={
            "desk@bright.example": {"locations": ["downtown"]},
            "boss@bright.example": {"role": "manager", "locations": ["downtown"]},
            "admin@bright.example": {"role": "practice_admin", "locations": []},
        },
    )
    north = await make_practice(
        domain, slug="north", staff={"admin@north.example": {"role": "practice_admin"}}
    )
    people: dict[str, object] = {
        "front_desk": bright.staff["desk@bright.example"],
        "manager": bright.staff["boss@bright.example"],
        "practice_admin": bright.staff["admin@bright.example"],
        "other_practice_admin": north.staff["admin@north.example"],
    }
    async with domain.sessionmaker() as session, session.begin():
        center = CallCenter(id=uuid.uuid4(), slug="overflow-co", name="Overflow Co", phone="+15125550199")
        office = ReferringOffice(id=uuid.uuid4(), name="Hill Country Pediatrics")
        other_office = ReferringOffice(id=uuid.uuid4(), name="Lake Family Medicine")
        session.add_all([center, office, other_office])
        await session.flush()
        session.add(CallCenterPractice(call_center_id=center.id, practice_id=bright.practice.id))
        for role, email, extra in (
            ("overflow_agent", "agent@overflow.example", {"call_center_id": center.id}),
            ("physician", "doc@hill.example", {}),
            ("physician_office", "frontdesk@hill.example", {}),
            ("physician", "doc@lake.example", {}),
            ("platform_operator", "ops@leadrouter.example", {}),
        ):
            user = await create_user(
                session, email=email, display_name=email, password=PASSWORD, role=role, **extra
            )
            user.referring_office_id = {"hill": office.id, "lake": other_office.id}.get(
                email.split("@")[1].split(".")[0]
            )
            key = {"doc@hill.example": "physician", "doc@lake.example": "other_physician"}.get(email, role)
            people[key] = user
    leads = {
        "downtown": await new_lead(domain, bright, location="downtown", first_name="Dora"),
        "lakeway": await new_lead(domain, bright, location="lakeway", first_name="Lake"),
        "overflow": await new_lead(domain, bright, location="downtown", first_name="Ovid"),
        "referral": await new_lead(domain, bright, location="downtown", first_name="Remy"),
        "other_referral": await new_lead(domain, bright, location="lakeway", first_name="Orla"),
        "north": await new_lead(domain, north, first_name="Nora"),
    }
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(Lead).where(Lead.id == leads["overflow"]).values(overflow=True))
        for lead, physician, office_id in (
            ("referral", people["physician"], office.id),
            ("other_referral", people["other_physician"], other_office.id),
        ):
            await session.execute(
                update(Lead)
                .where(Lead.id == leads[lead])
                .values(referring_physician_id=physician.id, referring_office_id=office_id)
            )
    bright_all = {"downtown", "lakeway", "overflow", "referral", "other_referral"}
    expected = {
        "front_desk": {"downtown", "overflow", "referral"},
        "manager": {"downtown", "overflow", "referral"},
        "practice_admin": bright_all,
        "other_practice_admin": {"north"},
        "overflow_agent": {"overflow"},
        "physician": {"referral"},
        "physician_office": {"referral"},
        "other_physician": {"other_referral"},
        "platform_operator": set(),
    }
    return World(leads, people, expected, bright)
