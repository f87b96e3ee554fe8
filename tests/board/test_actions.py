import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from router.appointments.booking import BookingRequest
from router.board import presence
from router.core import errors
from router.core.models import AuditRecord, DomainEvent, FunnelEvent, Interaction, Lead, StaffUser
from router.core.phi_columns import INTERACTION_NOTE
from router.leads import actions
from router.leads.desk_entry import add_lead_by_hand
from router.privacy.audit import Actor
from tests.board.helpers import new_lead
from tests.factories import add_desk_staff, make_practice, viewer_of

pytestmark = pytest.mark.integration


def actor_for(viewer):
    return Actor("user", str(viewer.user_id))


async def last_event(domain, lead_id=None):
    async with domain.sessionmaker() as session:
        query = select(DomainEvent).order_by(DomainEvent.id.desc()).limit(1)
        if lead_id:
            query = query.where(DomainEvent.lead_id == lead_id)
        return await session.scalar(query)


async def audit_actions(domain, lead_id):
    async with domain.sessionmaker() as session:
        return list(
            (
                await session.scalars(
                    select(AuditRecord.action).where(AuditRecord.lead_id == lead_id).order_by(AuditRecord.id)
                )
            ).all()
        )


async def lead_row(domain, lead_id):
    async with domain.sessionmaker() as session:
        return await session.get(Lead, lead_id)


@pytest.fixture
async def desk(domain):
    practice = await make_practice(domain, staff={"boss@bright.example": {"role": "manager", "name": "Boss"}})
    desks = await add_desk_staff(domain, practice, 50)
    people = {**practice.staff, **{user.email: user for user in desks}}
    viewers = {email: await viewer_of(domain, user) for email, user in people.items()}
    return practice, viewers


async def test_fifty_concurrent_claims_have_exactly_one_winner(domain, desk):
    practice, viewers = desk
    lead_id = await new_lead(domain, practice)
    claimants = [v for email, v in viewers.items() if email.startswith("desk")]
    outcomes = await asyncio.gather(
        *(actions.claim_lead(domain, v, lead_id, actor=actor_for(v)) for v in claimants),
        return_exceptions=True,
    )
    winners = [claimants[i] for i, o in enumerate(outcomes) if isinstance(o, actions.ActionResult)]
    losers = [o for o in outcomes if isinstance(o, errors.ActionRefused)]
    assert len(winners) == 1 and len(losers) == 49
    assert all(f"{winners[0].display_name} has already claimed this lead" in str(o) for o in losers)
    assert (await lead_row(domain, lead_id)).claimed_by_user_id == winners[0].user_id
    assert (await audit_actions(domain, lead_id)).count("lead.claim") == 1
    async with domain.sessionmaker() as session:
        claims = await session.scalar(
            select(func.count()).select_from(DomainEvent).where(DomainEvent.kind == "lead.claimed")
        )
    assert claims == 1


async def test_claim_release_and_contact_attempt_write_audit_and_event(domain, desk):
    practice, viewers = desk
    lead_id = await new_lead(domain, practice)
    me = viewers["desk1@bright.example"]
    other = viewers["desk2@bright.example"]
    claimed = await actions.claim_lead(domain, me, lead_id, actor=actor_for(me))
    assert (await last_event(domain, lead_id)).kind == "lead.claimed"
    assert (await last_event(domain, lead_id)).id == claimed.event_id
    with pytest.raises(errors.NotPermitted):
        await actions.release_lead(domain, other, lead_id, actor=actor_for(other))
    await actions.release_lead(domain, me, lead_id, actor=actor_for(me))
    released = await last_event(domain, lead_id)
    assert released.kind == "lead.released" and released.payload["reason"] == "released"
    assert (await lead_row(domain, lead_id)).claimed_by_user_id is None

    await actions.log_contact_attempt(domain, me, lead_id, outcome="voicemail_left", actor=actor_for(me))
    lead = await lead_row(domain, lead_id)
    assert lead.first_contact_at is None and lead.stage == "lead"  # the SLA clock keeps running
    assert (await last_event(domain, lead_id)).kind == "lead.contact_logged"
    with pytest.raises(errors.InvalidChoice):
        await actions.log_contact_attempt(domain, me, lead_id, outcome="hung_up", actor=actor_for(me))
    assert await audit_actions(domain, lead_id) == [
        "lead.create",
        "lead.claim",
        "lead.release",
        "lead.contact_attempt",
    ]


async def test_contact_made_stops_the_clock_once_and_keeps_the_note_encrypted(domain, desk):
    practice, viewers = desk
    lead_id = await new_lead(domain, practice)
    me = viewers["desk1@bright.example"]
    domain_now = domain.clock.now()
    await actions.log_contact_made(
        domain, me, lead_id, channel="sms", note="Wants Tuesday", actor=actor_for(me)
    )
    first = (await lead_row(domain, lead_id)).first_contact_at
    assert first is not None and first >= domain_now
    await actions.log_contact_made(domain, me, lead_id, channel="phone", actor=actor_for(me))
    lead = await lead_row(domain, lead_id)
    assert lead.first_contact_at == first and lead.stage == "contacted"
    events = [e for e in [await last_event(domain, lead_id)]]
    assert events[0].kind == "lead.contacted" and events[0].payload == {"channel": "phone", "first": False}
    async with domain.sessionmaker() as session:
        notes = (
            await session.execute(
                select(Interaction.id, Interaction.note_enc).where(Interaction.kind == "contact_made")
            )
        ).all()
        stages = (
            await session.scalars(select(FunnelEvent.stage).where(FunnelEvent.lead_id == lead_id))
        ).all()
    encrypted = [(note_id, n) for note_id, n in notes if n is not None]
    assert len(encrypted) == 1 and b"Tuesday" not in bytes(encrypted[0][1])
    note_id, note = encrypted[0]
    assert domain.cipher.open(note, column=INTERACTION_NOTE, row_id=note_id) == "Wants Tuesday"
    assert sorted(stages) == ["contacted", "lead"]
    assert (await audit_actions(domain, lead_id))[-2:] == ["lead.contact", "lead.contact"]


async def test_close_as_booked_adds_the_appointment_stage_and_refuses_further_actions(domain, desk):
    practice, viewers = desk
    lead_id = await new_lead(domain, practice)
    me = viewers["desk1@bright.example"]
    booking = BookingRequest(starts_at=domain.clock.now() + timedelta(days=2))
    await actions.close_lead(
        domain, me, lead_id, reason="appointment_booked", actor=actor_for(me), booking=booking
    )
    lead = await lead_row(domain, lead_id)
    assert (lead.status, lead.close_reason, lead.stage) == (
        "closed",
        "appointment_booked",
        "appointment_scheduled",
    )
    assert lead.first_contact_at is not None
    assert (await last_event(domain, lead_id)).kind == "lead.closed"
    assert (await audit_actions(domain, lead_id))[-1] == "lead.close"
    with pytest.raises(errors.ActionRefused, match="closed"):
        await actions.claim_lead(domain, me, lead_id, actor=actor_for(me))
    with pytest.raises(errors.InvalidChoice):
        await actions.close_lead(
            domain, me, await new_lead(domain, practice), reason="bored", actor=actor_for(me)
        )


async def test_reassign_is_for_managers_and_ends_another_persons_claim(domain, desk):
    practice, viewers = desk
    lead_id = await new_lead(domain, practice)
    boss, one, two = (
        viewers["boss@bright.example"],
        viewers["desk1@bright.example"],
        viewers["desk2@bright.example"],
    )
    await actions.claim_lead(domain, one, lead_id, actor=actor_for(one))
    with pytest.raises(errors.NotPermitted):
        await actions.reassign_lead(domain, one, lead_id, to_user_id=two.user_id, actor=actor_for(one))
    await actions.reassign_lead(domain, boss, lead_id, to_user_id=two.user_id, actor=actor_for(boss))
    lead = await lead_row(domain, lead_id)
    assert lead.assigned_user_id == two.user_id and lead.claimed_by_user_id is None
    event = await last_event(domain, lead_id)
    assert event.kind == "lead.assigned" and event.payload["user_id"] == str(two.user_id)
    assert (await audit_actions(domain, lead_id))[-1] == "lead.reassign"


async def test_a_lead_added_by_hand_is_stored_once_per_form_nonce(domain, desk):
    practice, viewers = desk
    me = viewers["desk1@bright.example"]
    location_id = next(iter(practice.locations.values())).id
    fields = {
        "first_name": "Walk",
        "last_name": "In",
        "phone": "(512) 555-0147",
        "treatment_interest": "implants",
    }
    first = await add_lead_by_hand(
        domain, me, kind="walk_in", location_id=location_id, fields=fields, nonce="n-1", actor=actor_for(me)
    )
    again = await add_lead_by_hand(
        domain, me, kind="walk_in", location_id=location_id, fields=fields, nonce="n-1", actor=actor_for(me)
    )
    assert first.status_code == 201 and again.replayed and again.body["lead_id"] == first.body["lead_id"]
    lead = await lead_row(domain, first.lead_id)
    assert (lead.source_kind, lead.source_channel, lead.location_id) == ("walk_in", "walk_in", location_id)
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Lead)) == 1


async def test_set_availability_is_recorded_and_clears_automatic_away(domain, desk):
    _practice, viewers = desk
    me = viewers["desk1@bright.example"]
    async with domain.sessionmaker() as session, session.begin():
        user = await session.get(StaffUser, me.user_id)
        user.availability, user.away_automatically = "away", True
    result = await presence.set_availability(domain, me, availability="busy", actor=actor_for(me))
    async with domain.sessionmaker() as session:
        user = await session.get(StaffUser, me.user_id)
        event = await session.get(DomainEvent, result.event_id)
    assert (user.availability, user.away_automatically) == ("busy", False)
    assert event.kind == "staff.availability" and event.payload["availability"] == "busy"
    with pytest.raises(errors.InvalidChoice):
        await presence.set_availability(domain, me, availability="lunch", actor=actor_for(me))
