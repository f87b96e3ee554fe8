"""The complaint flag: the desk raises it on the lead page with a reason, it stops review requests (one
waiting in the outbox included), a manager clears it; every change audited, refusals write nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from router.core.models import AuditRecord, ComplaintFlag
from router.core.phi_columns import COMPLAINT_REASON
from router.nurture.outbox import send_due_messages, send_message
from router.reviews.requests import queue_review_requests
from tests.escalation.support import freeze
from tests.factories import csrf_of, open_staff_session
from tests.nurture.support import daytime
from tests.phones.helpers import form_lead
from tests.reviews.helpers import becomes_patient, review_practice, review_requests, visit

pytestmark = pytest.mark.integration
HTMX = {"hx-request": "true"}


async def _as(client, domain, practice, email):  # type: ignore[no-untyped-def]
    client.cookies.clear()
    client.cookies.set("lr_session", await open_staff_session(domain, practice.staff[email]))
    return {"x-csrftoken": await csrf_of(client), **HTMX}


async def _audited(domain, action):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return await session.scalar(select(func.count()).where(AuditRecord.action == action))


async def _patient_lead(domain):  # type: ignore[no-untyped-def]
    freeze(domain, daytime())
    practice = await review_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    patient_id = await becomes_patient(domain, practice)
    return practice, lead_id, patient_id


async def test_a_flag_blocks_the_request_and_a_cleared_flag_lets_the_next_one_go(
    client, outbox_domain, outbox_twilio
):
    domain = outbox_domain
    practice, lead_id, patient_id = await _patient_lead(domain)
    desk = await _as(client, domain, practice, "desk@bright.example")
    raised = await client.post(
        f"/leads/{lead_id}/complaint", data={"reason": "Unhappy with the bill"}, headers=desk
    )
    assert raised.status_code == 200, raised.text
    assert "Complaint open" in raised.text and "Unhappy with the bill" in raised.text
    assert "Dana Desk" in raised.text and "Clear the complaint" not in raised.text  # the desk cannot clear
    page = await client.get(f"/leads/{lead_id}")
    assert "Complaint open: no review requests" in page.text
    async with domain.sessionmaker() as session:
        flag = await session.scalar(select(ComplaintFlag))
    assert flag.patient_id == patient_id and b"bill" not in flag.reason_enc
    assert (
        domain.cipher.open(flag.reason_enc, column=COMPLAINT_REASON, row_id=flag.id)
        == "Unhappy with the bill"
    )
    assert await _audited(domain, "complaint.flagged") == 1

    await visit(domain, practice, appointment="A-1", start="2026-03-03 08:00", status="completed")
    assert await queue_review_requests(domain) == {"cancelled": 1}
    [message] = await review_requests(domain, patient_id)
    assert message.status == "cancelled" and "complaint" in message.detail
    assert (await send_due_messages(domain))["sent"] == 0 and outbox_twilio.made("Messages") == []

    manager = await _as(client, domain, practice, "maya@bright.example")
    cleared = await client.post(
        f"/leads/{lead_id}/complaint/clear", data={"clear_reason": "Refunded, she is happy"}, headers=manager
    )
    assert cleared.status_code == 200 and "No open complaint" in cleared.text
    assert await _audited(domain, "complaint.cleared") == 1
    assert "Complaint open" not in (await client.get(f"/leads/{lead_id}")).text
    # The cancelled request stays cancelled; the patient's first visit was the one asked about.
    assert await queue_review_requests(domain) == {}


async def test_a_request_waiting_in_the_outbox_is_cancelled_when_a_complaint_is_flagged(
    client, outbox_domain, outbox_twilio
):
    domain = outbox_domain
    practice, lead_id, patient_id = await _patient_lead(domain)
    await visit(domain, practice, appointment="A-1", start="2026-03-03 08:00", status="completed")
    assert await queue_review_requests(domain) == {"queued": 1}

    desk = await _as(client, domain, practice, "desk@bright.example")
    answer = await client.post(
        f"/leads/{lead_id}/complaint", data={"reason": "Crown came loose"}, headers=desk
    )
    assert answer.status_code == 200
    [message] = await review_requests(domain, patient_id)
    assert message.status == "cancelled"
    assert (await send_due_messages(domain))["sent"] == 0 and outbox_twilio.made("Messages") == []


async def test_the_sender_checks_the_flag_again_before_sending(outbox_domain, outbox_twilio):
    """A flag that landed between queueing and sending (the two transactions crossed) still stops it."""
    domain = outbox_domain
    practice, _lead_id, patient_id = await _patient_lead(domain)
    await visit(domain, practice, appointment="A-1", start="2026-03-03 08:00", status="completed")
    await queue_review_requests(domain)
    async with domain.sessionmaker() as session, session.begin():
        session.add(
            ComplaintFlag(
                id=uuid.uuid4(),
                practice_id=practice.practice.id,
                patient_id=patient_id,
                raised_at=domain.clock.now(),
            )
        )
    [message] = await review_requests(domain, patient_id)
    assert (await send_message(domain, message.id))["status"] == "cancelled"
    assert outbox_twilio.made("Messages") == []


async def test_who_may_flag_and_clear_and_bad_reasons_change_nothing(client, domain):
    freeze(domain, daytime())
    practice = await review_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    desk = await _as(client, domain, practice, "desk@bright.example")

    empty = await client.post(
        f"/leads/{lead_id}/complaint", data={"reason": "  "}, headers={"x-csrftoken": desk["x-csrftoken"]}
    )
    assert empty.status_code == 422 and empty.headers["content-type"].startswith("application/problem+json")
    assert empty.json()["errors"] == [
        {"field": "reason", "message": "Say in a few words what the complaint is about."}
    ]
    in_place = await client.post(f"/leads/{lead_id}/complaint", data={"reason": "x" * 201}, headers=desk)
    assert in_place.status_code == 422 and "Keep it to 200 characters" in in_place.text
    assert await _audited(domain, "complaint.flagged") == 0

    assert (
        await client.post(f"/leads/{lead_id}/complaint", data={"reason": "Rude on the phone"}, headers=desk)
    ).status_code == 200
    again = await client.post(f"/leads/{lead_id}/complaint", data={"reason": "Twice"}, headers=desk)
    assert again.status_code == 409
    refused = await client.post(
        f"/leads/{lead_id}/complaint/clear", data={"clear_reason": "ok"}, headers=desk
    )
    assert refused.status_code == 403 and await _audited(domain, "complaint.cleared") == 0
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count()).where(ComplaintFlag.cleared_at.is_(None))) == 1

    admin = await _as(client, domain, practice, "pat@bright.example")
    no_reason = await client.post(f"/leads/{lead_id}/complaint/clear", data={}, headers=admin)
    assert no_reason.status_code == 422 and "how the complaint was resolved" in no_reason.text
    done = await client.post(
        f"/leads/{lead_id}/complaint/clear", data={"clear_reason": "Apologised"}, headers=admin
    )
    assert done.status_code == 200 and await _audited(domain, "complaint.cleared") == 1
    card = await client.get(f"/leads/{lead_id}/care")
    assert "No open complaint" in card.text and "Flag a complaint" in card.text
