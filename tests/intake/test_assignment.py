"""Assignment rules are configuration: each setting changes who gets the lead."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from router.core.models import StaffUser
from router.core.ports import LeadScore
from tests.factories import inquiry, make_practice, signed

pytestmark = pytest.mark.integration

TWO_OFFICES = {
    # Austin downtown and Round Rock; ZIP 78664 is Round Rock, 78701 is downtown Austin.
    "downtown": {"zip": "78701", "latitude": 30.2713, "longitude": -97.7426},
    "roundrock": {"zip": "78664", "latitude": 30.5146, "longitude": -97.6680},
}


async def deliver(client, practice, **fields) -> dict:
    raw, headers = signed(inquiry(**fields), practice.secret)
    response = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def person(n: int) -> dict:
    return {"first_name": f"P{n}", "email": f"p{n}@example.com", "phone": None, "sms_consent": None}


async def location_of(practice, body) -> str:
    return next(slug for slug, loc in practice.locations.items() if str(loc.id) == body["location_id"])


async def test_location_chosen_on_the_form_wins_over_zip(client, domain):
    practice = await make_practice(domain, locations=TWO_OFFICES)
    body = await deliver(client, practice, location="roundrock", zip="78701", **person(1))
    assert await location_of(practice, body) == "roundrock"


@pytest.mark.parametrize(("route_by_zip", "expected"), [(True, "roundrock"), (False, "downtown")])
async def test_route_by_zip(client, domain, route_by_zip, expected):
    practice = await make_practice(
        domain, locations=TWO_OFFICES, settings={"assignment": {"route_by_zip": route_by_zip}}
    )
    async with domain.sessionmaker() as session, session.begin():
        from router.core.models import FormSource

        await session.execute(
            update(FormSource).values(default_location_id=practice.locations["downtown"].id)
        )
    body = await deliver(client, practice, zip="78664", **person(1))
    assert await location_of(practice, body) == expected


async def set_user(domain, user, **values) -> None:
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(StaffUser).where(StaffUser.id == user.id).values(**values))


@pytest.mark.parametrize(
    ("strategy", "expected"), [("fewest_open", "b@x.example"), ("round_robin", "a@x.example")]
)
async def test_strategy(client, domain, strategy, expected):
    staff = {"a@x.example": {}, "b@x.example": {}}
    practice = await make_practice(domain, staff=staff, settings={"assignment": {"strategy": strategy}})
    a, b = practice.staff["a@x.example"], practice.staff["b@x.example"]
    # a holds two open leads but was assigned longest ago; b holds none but was assigned just now
    await set_user(domain, b, last_assigned_at=domain.clock.now() - timedelta(minutes=1))
    for n in (1, 2):
        body = await deliver(client, practice, **person(n))
        if body["assigned_user_id"] != str(a.id):
            from router.core.models import Lead

            async with domain.sessionmaker() as session, session.begin():
                await session.execute(
                    update(Lead).where(Lead.id == uuid.UUID(body["lead_id"])).values(assigned_user_id=a.id)
                )
    await set_user(domain, a, last_assigned_at=domain.clock.now() - timedelta(hours=1))
    await set_user(domain, b, last_assigned_at=domain.clock.now() - timedelta(minutes=1))
    body = await deliver(client, practice, **person(3))
    assert body["assigned_user_id"] == str(practice.staff[expected].id)


async def test_round_robin_among_equals_rotates(client, domain):
    practice = await make_practice(domain, staff={"a@x.example": {}, "b@x.example": {}, "c@x.example": {}})
    assigned = [(await deliver(client, practice, **person(n)))["assigned_user_id"] for n in range(3)]
    assert len(set(assigned)) == 3


@pytest.mark.parametrize(("respect", "expected"), [(True, None), (False, "busy@x.example")])
async def test_respect_availability(client, domain, respect, expected):
    staff = {"busy@x.example": {"availability": "busy"}, "away@x.example": {"availability": "away"}}
    practice = await make_practice(
        domain, staff=staff, settings={"assignment": {"respect_availability": respect}}
    )
    body = await deliver(client, practice, **person(1))
    assert body["assigned_user_id"] == (str(practice.staff[expected].id) if expected else None)


@pytest.mark.parametrize(("respect", "expected"), [(True, "day@x.example"), (False, "night@x.example")])
async def test_respect_shift(client, domain, respect, expected):
    now_local = domain.clock.now()
    closed = {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    staff = {
        # night has no hours at all this week; day works around the clock; night was assigned least recently
        "night@x.example": {"shift": closed},
        "day@x.example": {},
    }
    practice = await make_practice(domain, staff=staff, settings={"assignment": {"respect_shift": respect}})
    await set_user(domain, practice.staff["day@x.example"], last_assigned_at=now_local)
    body = await deliver(client, practice, **person(1))
    assert body["assigned_user_id"] == str(practice.staff[expected].id)


async def test_max_open_leads_caps_each_person(client, domain):
    practice = await make_practice(
        domain, staff={"a@x.example": {}}, settings={"assignment": {"max_open_leads": 1}}
    )
    first = await deliver(client, practice, **person(1))
    second = await deliver(client, practice, **person(2))
    assert first["assigned_user_id"] == str(practice.staff["a@x.example"].id)
    assert second["assigned_user_id"] is None  # the location's unassigned queue


class FixedScorer:
    def __init__(self, value: int) -> None:
        self.value = value

    def score(self, practice_id, scoring_input):
        return LeadScore(value=self.value, version="test-1", pooled=False)

    def explain(self, practice_id, scoring_input, version):
        return None


@pytest.mark.parametrize(("threshold", "expected"), [(70, "senior@x.example"), (None, "junior@x.example")])
async def test_priority_score_sends_high_scores_to_priority_staff(client, domain, threshold, expected):
    staff = {"senior@x.example": {"handles_priority": True}, "junior@x.example": {}}
    practice = await make_practice(
        domain, staff=staff, settings={"assignment": {"priority_score": threshold}}
    )
    await set_user(domain, practice.staff["senior@x.example"], last_assigned_at=domain.clock.now())
    original = domain.scorer
    domain.scorer = FixedScorer(85)
    try:
        body = await deliver(client, practice, **person(1))
    finally:
        domain.scorer = original
    assert body["score"] == 85
    assert body["assigned_user_id"] == str(practice.staff[expected].id)


@pytest.mark.parametrize(("include", "assigned"), [(True, True), (False, False)])
async def test_include_managers(client, domain, include, assigned):
    practice = await make_practice(
        domain,
        staff={"boss@x.example": {"role": "manager"}},
        settings={"assignment": {"include_managers": include}},
    )
    body = await deliver(client, practice, **person(1))
    assert (body["assigned_user_id"] is not None) is assigned


async def test_after_hours_lead_starts_its_clock_at_opening(client, domain):
    from zoneinfo import ZoneInfo

    from router.core.clock import FrozenClock

    chicago = ZoneInfo("America/Chicago")
    weekdays = {d: [["08:00", "12:00"], ["13:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    office = {"zip": "78701", "latitude": 30.27, "longitude": -97.74, "business_hours": weekdays}
    practice = await make_practice(domain, locations={"downtown": office})
    domain.clock = FrozenClock(datetime(2026, 11, 30, 20, 0, tzinfo=chicago))  # Monday evening
    body = await deliver(client, practice, **person(1))
    assert datetime.fromisoformat(body["sla_due_at"]) == datetime(2026, 12, 1, 8, 5, tzinfo=chicago)


A_WEDNESDAY_NOON = datetime(2026, 1, 7, 18, 0, tzinfo=UTC)


def test_staff_without_hours_of_their_own_follow_the_location_and_the_others_their_own():
    from router.core.models import Location
    from router.intake.assignment import StaffCandidate, pick_staff
    from router.practices.settings import AssignmentRules

    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    location = Location(
        id=uuid.uuid4(),
        time_zone="America/Chicago",
        business_hours={d: [] for d in days},  # the office is closed all week
        holidays=[],
    )

    def candidate(shift, last_assigned):  # type: ignore[no-untyped-def]
        at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=last_assigned)
        return StaffCandidate(uuid.uuid4(), "available", False, shift, at, 0)

    front, back = candidate(None, 0), candidate(None, 1)  # the office's hours: closed
    evening = candidate({d: [["00:00", "24:00"]] for d in days}, 2)  # own hours: around the clock
    chosen = pick_staff(
        [front, back, evening], location, rules=AssignmentRules(), score=None, now=A_WEDNESDAY_NOON
    )
    assert chosen == evening
    everyone_closed = pick_staff(
        [front, back], location, rules=AssignmentRules(), score=None, now=A_WEDNESDAY_NOON
    )
    assert everyone_closed is None
