"""Shared helpers of the appointment tests: a patients export, the card's offered slots, closing on one,
a stopped clock."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from router.core.models import Appointment, Interaction
from router.core.phi_columns import INTERACTION_NOTE
from tests.board.helpers import new_lead
from tests.factories import csrf_of

PATIENTS = (
    "patient_id,first_name,last_name,date_of_birth,phone,email,zip\n"
    "P-1,Ada,Okafor,1984-05-06,(512) 555-0101,ada@example.org,78701\n"
    "P-2,Ben,Stone,05/07/1990,not a phone,,78702\n"
    "P-3,Cy,Young,,512-555-0103,,\n"
    "P-4,,Nameless,,,,\n"
)


SLOT_OPTION = re.compile(r'<option value="(slot-[^"]+)">([^<]+)</option>')


async def offered_slots(client, lead_id) -> list[tuple[str, str]]:
    panel = await client.get(f"/board/leads/{lead_id}/more")
    assert panel.status_code == 200
    return [(html.unescape(value), label) for value, label in SLOT_OPTION.findall(panel.text)]


async def close_on(client, lead_id, slot_value: str):
    return await client.post(
        f"/board/leads/{lead_id}/close",
        data={"reason": "appointment_booked", "appointment_slot": slot_value},
        headers={"x-csrftoken": await csrf_of(client)},
    )


class _At:
    """A clock stopped at one instant."""

    def __init__(self, instant):
        self.instant = instant

    def now(self):
        return self.instant


async def book_from_board(client, domain, connected) -> tuple:
    lead_id = await new_lead(domain, connected.practice, location="downtown")
    value, _ = (await offered_slots(client, lead_id))[0]
    assert (await close_on(client, lead_id, value)).status_code == 204
    async with domain.sessionmaker() as session:
        appointment = await session.scalar(select(Appointment).where(Appointment.lead_id == lead_id))
    return lead_id, appointment


async def notes_of(domain, lead_id) -> list[str]:
    async with domain.sessionmaker() as session:
        rows = (
            await session.scalars(
                select(Interaction).where(Interaction.lead_id == lead_id, Interaction.kind == "pms_update")
            )
        ).all()
    return [domain.cipher.open(r.note_enc, column=INTERACTION_NOTE, row_id=r.id) for r in rows]
