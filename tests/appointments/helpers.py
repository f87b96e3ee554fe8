"""Shared helpers of the appointment tests: a patients export, the card's offered slots, closing on one,
a stopped clock."""

from __future__ import annotations

import html
import re

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
