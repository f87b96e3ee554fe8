"""Patient referrals matched to patients: the referral recorded on the referring patient, one thank-you
after the referred patient's first completed visit, and what managers (and only they) see of it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from router.core.models import ComplaintFlag, NurtureMessage, PatientReferral
from router.nurture.outbox import send_due_messages
from router.privacy.audit import Actor
from router.referrals.patient_links import make_referral_link
from router.referrals.patient_thanks import patient_referrals_task
from tests.escalation.support import freeze
from tests.factories import open_staff_session
from tests.nurture.support import daytime
from tests.phones.helpers import form_lead, viewer_for
from tests.reviews.helpers import becomes_patient, review_practice, visit

pytestmark = pytest.mark.integration
CARMEN = {
    "first_name": "Carmen",
    "last_name": "Ortiz",
    "phone": "(512) 555-0111",
    "email": "carmen@example.com",
}
IVY = {"first_name": "Ivy", "last_name": "Chen", "phone": "(512) 555-0188", "email": "ivy@example.com"}


async def _carmen_with_code(domain, practice):  # type: ignore[no-untyped-def]
    carmen = await form_lead(domain, practice, **CARMEN)
    carmen_patient = await becomes_patient(
        domain, practice, pms_id="P-1", first="Carmen", last="Ortiz", phone=CARMEN["phone"]
    )
    desk = practice.staff["desk@bright.example"]
    link = await make_referral_link(
        domain, viewer_for(practice, desk), carmen, actor=Actor("user", str(desk.id))
    )
    return carmen, carmen_patient, link.code


async def _thank_yous(domain):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return (
            await session.scalars(select(NurtureMessage).where(NurtureMessage.purpose == "thank_you"))
        ).all()


async def test_a_referral_by_link_is_recorded_and_thanked_once_after_the_first_visit(
    client, outbox_domain, outbox_mailbox
):
    domain = outbox_domain
    freeze(domain, daytime())
    practice = await review_practice(domain, asking=False)
    carmen, carmen_patient, code = await _carmen_with_code(domain, practice)
    ivy = await form_lead(domain, practice, referral_code=code, **IVY)

    assert (await patient_referrals_task({"domain": domain}))["recorded"] == 0  # Ivy is not a patient yet
    ivy_patient = await becomes_patient(
        domain, practice, pms_id="P-2", first="Ivy", last="Chen", phone=IVY["phone"]
    )
    await visit(domain, practice, appointment="A-1", patient="P-2", start="2026-03-03 08:00", status="booked")
    assert await patient_referrals_task({"domain": domain}) == {"recorded": 1, "resolved": 0}
    async with domain.sessionmaker() as session:
        row = await session.scalar(select(PatientReferral))
    assert (row.referred_patient_id, row.referring_patient_id) == (ivy_patient, carmen_patient)
    assert (row.referring_lead_id, row.how, row.code, row.thank_you_state) == (carmen, "code", code, None)

    await visit(
        domain, practice, appointment="A-1", patient="P-2", start="2026-03-03 08:00", status="completed"
    )
    assert await patient_referrals_task({"domain": domain}) == {
        "recorded": 0,
        "resolved": 0,
        "thanks_queued": 1,
    }
    await visit(
        domain, practice, appointment="A-2", patient="P-2", start="2026-03-03 09:00", status="completed"
    )
    assert await patient_referrals_task({"domain": domain}) == {"recorded": 0, "resolved": 0}
    assert (await send_due_messages(domain))["sent"] == 1
    [(_, rcpt, email)] = outbox_mailbox.messages
    assert rcpt == ["carmen@example.com"] and email["Subject"] == "Thank you for the referral, Carmen"
    assert "Ivy" not in email.get_body(("plain",)).get_content()  # the thank-you names nobody
    [thanks] = await _thank_yous(domain)
    assert (thanks.lead_id, thanks.patient_id, thanks.status) == (carmen, carmen_patient, "sent")

    client.cookies.set("lr_session", await open_staff_session(domain, practice.staff["maya@bright.example"]))
    card = await client.get(f"/leads/{ivy}/care")
    assert "Referred by" in card.text and "Carmen Ortiz" in card.text and f"/leads/{carmen}" in card.text
    assert "referred <strong>1</strong> new patient" in (await client.get(f"/leads/{carmen}/care")).text
    listed = await client.get("/patient-referrals")
    assert listed.status_code == 200 and "Carmen Ortiz" in listed.text and f"/leads/{carmen}" in listed.text

    client.cookies.set("lr_session", await open_staff_session(domain, practice.staff["desk@bright.example"]))
    desk_card = await client.get(f"/leads/{ivy}/care")
    assert "managers see who" in desk_card.text and "Carmen" not in desk_card.text
    assert (await client.get("/patient-referrals", headers={"accept": "text/html"})).status_code == 403


async def test_no_thank_you_goes_to_a_referrer_with_an_open_complaint(outbox_domain, outbox_mailbox):
    domain = outbox_domain
    freeze(domain, daytime())
    practice = await review_practice(domain, asking=False)
    _carmen, carmen_patient, code = await _carmen_with_code(domain, practice)
    await form_lead(domain, practice, referral_code=code, **IVY)
    await becomes_patient(domain, practice, pms_id="P-2", first="Ivy", last="Chen", phone=IVY["phone"])
    await visit(
        domain, practice, appointment="A-1", patient="P-2", start="2026-03-03 08:00", status="completed"
    )
    await patient_referrals_task({"domain": domain})
    async with domain.sessionmaker() as session, session.begin():
        session.add(
            ComplaintFlag(
                id=uuid.uuid4(),
                practice_id=practice.practice.id,
                patient_id=carmen_patient,
                raised_at=domain.clock.now(),
            )
        )
    assert (await send_due_messages(domain))["sent"] == 0
    [thanks] = await _thank_yous(domain)
    assert thanks.status == "cancelled" and "complaint" in thanks.detail
    assert outbox_mailbox.messages == []


async def test_a_referral_by_name_is_matched_only_to_one_patient_with_that_whole_name(outbox_domain):
    domain = outbox_domain
    freeze(domain, daytime())
    practice = await review_practice(domain, asking=False)
    await form_lead(domain, practice, **CARMEN)
    carmen_patient = await becomes_patient(
        domain, practice, pms_id="P-1", first="Carmen", last="Ortiz", phone=CARMEN["phone"]
    )
    await form_lead(domain, practice, referred_by="carmen ortiz", **IVY)
    await becomes_patient(domain, practice, pms_id="P-2", first="Ivy", last="Chen", phone=IVY["phone"])
    await form_lead(
        domain,
        practice,
        referred_by="Carmen",
        first_name="Bo",
        last_name="Park",
        phone="(512) 555-0177",
        email="bo@example.com",
    )
    await becomes_patient(domain, practice, pms_id="P-3", first="Bo", last="Park", phone="(512) 555-0177")
    for appointment, patient in (("A-1", "P-2"), ("A-2", "P-3")):
        await visit(
            domain,
            practice,
            appointment=appointment,
            patient=patient,
            start="2026-03-03 08:00",
            status="completed",
        )

    report = await patient_referrals_task({"domain": domain})
    assert report == {"recorded": 2, "resolved": 0, "thanks_queued": 1}
    async with domain.sessionmaker() as session:
        rows = {
            r.how + ":" + str(r.referring_patient_id) for r in await session.scalars(select(PatientReferral))
        }
    assert rows == {f"name:{carmen_patient}", "name:None"}  # "Carmen" alone names nobody for sure
    assert len(await _thank_yous(domain)) == 1
