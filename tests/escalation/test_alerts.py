"""Level-2 alerts reach someone: managers on call by schedule (not by an open board), else the
practice's fallback contact; and a worker killed while sending loses no alert."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from router.core.models import ManagerAlert, StaffUser
from router.leads.alerts import ALERT_SEND_LEASE, resend_pending_alerts
from router.leads.escalation import escalate_lead
from tests.escalation.support import freeze, new_lead
from tests.factories import make_practice, open_staff_session

pytestmark = pytest.mark.integration

WEDNESDAY_10AM_CHICAGO = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
WEDNESDAY_9PM_CHICAGO = datetime(2026, 3, 5, 3, 0, tzinfo=UTC)
OFFICE_HOURS = {day: [["08:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
AROUND_THE_CLOCK = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
FALLBACK = {"phone": "+15125550199", "email": "owner@bright.example"}


class HangingSms:
    """An SMS provider that never answers: the worker is killed while it waits."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    async def send_sms(self, **_: object) -> str | None:
        self.asked.set()
        await asyncio.Event().wait()
        return None


async def practice_with_boss(domain, *, settings=None, availability=None, automatically=False):
    practice = await make_practice(
        domain,
        settings=settings,
        locations={"downtown": {"zip": "78701", "business_hours": OFFICE_HOURS}},
        staff={"boss@bright.example": {"role": "manager"}},
    )
    async with domain.sessionmaker() as session, session.begin():
        values = {"phone": "+15125550111"}
        if availability:
            values |= {"availability": availability, "away_automatically": automatically}
        await session.execute(
            update(StaffUser).where(StaffUser.email == "boss@bright.example").values(**values)
        )
    return practice


async def escalate_to_level_2(domain, clock, practice):
    lead = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(minutes=5))
    await escalate_lead(domain, lead.id, 1)
    clock.advance(timedelta(minutes=15))
    return lead, await escalate_lead(domain, lead.id, 2)


async def level_2_alert(domain, lead_id) -> ManagerAlert:
    async with domain.sessionmaker() as session:
        alert = await session.scalar(
            select(ManagerAlert).where(ManagerAlert.lead_id == lead_id, ManagerAlert.level == 2)
        )
    assert alert is not None
    return alert


async def test_a_worker_killed_while_sending_loses_no_alert(notifying_domain, smtp_server):
    domain = notifying_domain
    _, mailbox = smtp_server
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await practice_with_boss(domain)
    lead = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(minutes=5))
    await escalate_lead(domain, lead.id, 1)
    clock.advance(timedelta(minutes=15))

    recording, hanging = domain.sms, HangingSms()
    domain.sms = hanging
    sending = asyncio.create_task(escalate_lead(domain, lead.id, 2))
    await hanging.asked.wait()
    sending.cancel()  # the worker dies between the committed alert and its sends
    with contextlib.suppress(asyncio.CancelledError):
        await sending
    alert = await level_2_alert(domain, lead.id)
    assert [d["status"] for d in alert.deliveries] == ["pending", "pending"]
    assert alert.send_lease_until == domain.clock.now() + ALERT_SEND_LEASE

    domain.sms = recording
    assert await resend_pending_alerts(domain) == {"resent": 0}  # its sender may still be at it
    clock.advance(ALERT_SEND_LEASE)
    sweeps = await asyncio.gather(resend_pending_alerts(domain), resend_pending_alerts(domain))
    assert sorted(s["resent"] for s in sweeps) == [0, 1]  # two workers' sweepers: one takes it

    alert = await level_2_alert(domain, lead.id)
    assert [(d["channel"], d["status"]) for d in alert.deliveries] == [("sms", "sent"), ("email", "sent")]
    assert alert.send_lease_until is None
    assert [sms["to"] for sms in recording.sent] == ["+15125550111"] and len(mailbox.messages) == 1
    clock.advance(ALERT_SEND_LEASE * 3)
    assert await resend_pending_alerts(domain) == {"resent": 0}


async def test_a_manager_whose_board_closed_is_still_on_call_in_office_hours(notifying_domain, smtp_server):
    domain = notifying_domain
    _, mailbox = smtp_server
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    # Marked away by the presence sweeper because their board closed: no longer a reason for silence.
    practice = await practice_with_boss(domain, availability="away", automatically=True)
    _, outcome = await escalate_to_level_2(domain, clock, practice)
    assert [(d["channel"], d["status"]) for d in outcome.deliveries] == [("sms", "sent"), ("email", "sent")]
    assert domain.sms.sent[0]["to"] == "+15125550111" and mailbox.messages[0][1] == ["boss@bright.example"]


async def test_a_manager_who_chose_away_is_not_on_call(notifying_domain):
    domain = notifying_domain
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await practice_with_boss(domain, availability="away", automatically=False)
    _, outcome = await escalate_to_level_2(domain, clock, practice)
    assert [d["status"] for d in outcome.deliveries] == ["no_manager_on_duty"]
    assert domain.sms.sent == []


async def test_after_hours_the_fallback_contact_gets_it_and_the_dashboard_shows_it(
    notifying_domain, smtp_server, client
):
    domain = notifying_domain
    _, mailbox = smtp_server
    clock = freeze(domain, WEDNESDAY_9PM_CHICAGO - timedelta(minutes=20))
    practice = await practice_with_boss(
        domain, settings={"after_hours": "overflow", "alert_fallback_contact": FALLBACK}
    )
    _, outcome = await escalate_to_level_2(domain, clock, practice)
    assert [(d.get("recipient"), d["channel"], d["status"]) for d in outcome.deliveries] == [
        (None, "none", "no_manager_on_duty"),
        ("fallback_contact", "sms", "sent"),
        ("fallback_contact", "email", "sent"),
    ]
    assert [sms["to"] for sms in domain.sms.sent] == ["+15125550199"]
    assert [rcpt for _, rcpt, _ in mailbox.messages] == [["owner@bright.example"]]

    token = await open_staff_session(domain, practice.staff["boss@bright.example"])
    client.cookies.set("lr_session", token)
    page = (await client.get("/dashboard")).text
    assert "no manager on call" in page and "fallback contact" in page


async def test_a_manager_on_call_by_setting_gets_it_after_hours(notifying_domain):
    domain = notifying_domain
    clock = freeze(domain, WEDNESDAY_9PM_CHICAGO - timedelta(minutes=20))
    practice = await practice_with_boss(
        domain,
        settings={
            "after_hours": "overflow",
            "manager_on_call": {"Boss@Bright.example": AROUND_THE_CLOCK},
            "alert_fallback_contact": FALLBACK,
        },
    )
    _, outcome = await escalate_to_level_2(domain, clock, practice)
    assert [(d["channel"], d["status"]) for d in outcome.deliveries] == [("sms", "sent"), ("email", "sent")]
    assert [sms["to"] for sms in domain.sms.sent] == ["+15125550111"]


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"alert_fallback_contact": {"phone": "512-555-0199"}}, "E.164"),
        ({"alert_fallback_contact": {"email": "owner"}}, "email address"),
        ({"alert_fallback_contact": {"pager": "1"}}, "alert_fallback_contact.pager"),
        ({"manager_on_call": {"boss@bright.example": {"someday": [["08:00", "17:00"]]}}}, "weekday"),
    ],
)
def test_alert_settings_are_checked(settings, complaint):
    from router.practices.settings import PracticeSettings, SettingsError

    with pytest.raises(SettingsError, match=complaint):
        PracticeSettings.from_json(settings)
