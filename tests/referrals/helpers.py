"""Shared helpers of the referral tests: the portal's form, signing in as a person, sending it."""

from __future__ import annotations

import re
import uuid

from tests.factories import csrf_of, open_staff_session


def referral_form(destination: str, **overrides: str) -> dict[str, str]:
    form = {
        "first_name": "Rosa",
        "last_name": "Quintero",
        "phone": "(512) 555-0142",
        "email": "rosa.q@example.com",
        "date_of_birth": "2014-05-02",
        "destination": destination,
        "urgency": "routine",
        "reason": "Crossbite, needs an orthodontic evaluation",
        "clinical_notes": "Allergic to penicillin",
        "submission_key": uuid.uuid4().hex,
    }
    form.update(overrides)
    return form


async def as_person(client, domain, user) -> str:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    client.cookies.set("lr_session", await open_staff_session(domain, user))
    return await csrf_of(client)


def destination_of(page: str, label: str) -> str:
    found = re.search(r'<option value="([^"]+)"[^>]*>' + re.escape(label) + "</option>", page)
    assert found, page
    return found.group(1)


async def send(client, token, form, files=()):  # type: ignore[no-untyped-def]
    return await client.post(
        "/referrals",
        data={**form, "_csrf_token": token},
        files=[("attachments", f) for f in files] or None,
    )
