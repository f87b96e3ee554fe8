"""The phones screen: tracking numbers (channel, campaign, office), how calls ring, who takes overflow.

Practice admins only: a tracking number decides which office a call rings and which ad gets the
credit. The call center that takes the practice's overflow is the platform operator's choice
(router/practices/platform.py); the screen shows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from router.core.domain import Domain
from router.core.edits import changes, parse_revision, take_revision
from router.core.errors import InvalidFields, LeadNotFound
from router.core.form_values import FormReader
from router.core.models import (
    CallCenter,
    CallCenterPractice,
    Location,
    Practice,
    PracticePhoneSettings,
    TrackingNumber,
)
from router.phones.numbers import OVERFLOW_MODES, load_phone_settings, phone_settings_of
from router.privacy import audit
from router.privacy.access import Viewer, require
from scoring.channels import CHANNELS

CHANNEL_WORDS = {
    "google_ads": "Google Ads",
    "facebook_ads": "Facebook and Instagram ads",
    "organic_search": "Search (not paid)",
    "social": "Social media posts",
    "email": "Email",
    "direct_mail": "Mail and postcards",
    "referral_site": "Another website",
    "physician_referral": "Physician referral",
    "phone": "Phone book, sign or other",
    "walk_in": "Walk-in",
    "chat": "Chat",
    "direct": "Direct",
}
OVERFLOW_WORDS = {
    "number": "Dial the call center's number",
    "queue": "Wait in the queue overflow agents take calls from",
}
SETTING_FIELDS = (
    "practice_number",
    "records_calls",
    "consent_notice",
    "overflow_mode",
    "ring_timeout_seconds",
    "missed_call_text_back",
    "text_back_message",
)


@dataclass(frozen=True)
class PhonesScreen:
    numbers: list[tuple[TrackingNumber, str]]
    offices: list[tuple[uuid.UUID, str]]
    settings: PracticePhoneSettings
    call_centers: list[CallCenter]

    def values(self) -> dict[str, str]:
        s = self.settings
        return {
            "revision": str(s.revision or 0),
            "practice_number": s.practice_number or "",
            "records_calls": "1" if s.records_calls else "",
            "consent_notice": s.consent_notice or "",
            "overflow_mode": s.overflow_mode,
            "ring_timeout_seconds": str(s.ring_timeout_seconds),
            "missed_call_text_back": "1" if s.missed_call_text_back else "",
            "text_back_message": s.text_back_message or "",
        }


def _practice(viewer: Viewer) -> uuid.UUID:
    require(viewer, "practice.administer")
    assert viewer.practice_id is not None
    return viewer.practice_id


async def load_phones(domain: Domain, viewer: Viewer) -> PhonesScreen:
    practice_id = _practice(viewer)
    async with domain.sessionmaker() as session:
        numbers = (
            await session.execute(
                select(TrackingNumber, Location.name)
                .join(Location, Location.id == TrackingNumber.location_id)
                .where(TrackingNumber.practice_id == practice_id)
                .order_by(TrackingNumber.phone_e164)
            )
        ).all()
        offices = (
            await session.execute(
                select(Location.id, Location.name)
                .where(Location.practice_id == practice_id, Location.is_active.is_(True))
                .order_by(Location.name)
            )
        ).all()
        settings = await load_phone_settings(session, practice_id)
        centers = (
            await session.scalars(
                select(CallCenter)
                .join(CallCenterPractice, CallCenterPractice.call_center_id == CallCenter.id)
                .where(CallCenterPractice.practice_id == practice_id)
                .order_by(CallCenter.name)
            )
        ).all()
    return PhonesScreen(
        [(n, office) for n, office in numbers], [(i, n) for i, n in offices], settings, list(centers)
    )


async def add_number(domain: Domain, viewer: Viewer, form: Mapping[str, Any], *, actor: audit.Actor) -> None:
    """Add a tracking number; InvalidFields naming every problem (one already in use included)."""
    practice_id = _practice(viewer)
    read = FormReader(form)
    phone = read.phone("phone", label="The tracking number", required=True)
    channel = read.choice("channel", label="where the number is printed", choices=CHANNELS)
    campaign = read.text("campaign", label="The campaign", max_length=200)
    office_text = read.raw("location_id")
    async with domain.transaction() as session:
        office = None
        try:
            office = await session.get(Location, uuid.UUID(office_text)) if office_text else None
        except ValueError:
            office = None
        if office is None or office.practice_id != practice_id:
            read.fail("location_id", "Choose the office this number rings.")
        if phone and await session.scalar(
            select(TrackingNumber.id).where(TrackingNumber.phone_e164 == phone)
        ):
            read.fail("phone", f"{phone} is already a tracking number.")
        read.done()
        assert office is not None and phone and channel
        number = TrackingNumber(
            id=uuid.uuid4(),
            practice_id=practice_id,
            location_id=office.id,
            phone_e164=phone,
            channel=channel,
            campaign=campaign,
        )
        session.add(number)
        audit.record(
            session,
            actor=actor,
            action="phones.changed",
            practice_id=practice_id,
            details={"added_number": phone, "channel": channel, "location_id": str(office.id)},
        )
        try:
            await session.flush()
        except IntegrityError as exc:  # a concurrent add of the same number
            raise InvalidFields({"phone": f"{phone} is already a tracking number."}) from exc


async def remove_number(domain: Domain, viewer: Viewer, number_id: uuid.UUID, *, actor: audit.Actor) -> None:
    practice_id = _practice(viewer)
    async with domain.transaction() as session:
        number = await session.get(TrackingNumber, number_id)
        if number is None or number.practice_id != practice_id:
            raise LeadNotFound("No such tracking number.")
        await session.delete(number)
        audit.record(
            session,
            actor=actor,
            action="phones.changed",
            practice_id=practice_id,
            details={"removed_number": number.phone_e164},
        )


async def save_phone_settings(
    domain: Domain, viewer: Viewer, form: Mapping[str, Any], *, actor: audit.Actor
) -> int:
    """Save how calls ring; returns how many settings changed."""
    practice_id = _practice(viewer)
    read = FormReader(form)
    values: dict[str, Any] = {
        "practice_number": read.phone("practice_number", label="The number texts come from"),
        "records_calls": read.boolean("records_calls"),
        "consent_notice": read.text("consent_notice", label="The recording notice", max_length=500),
        "overflow_mode": read.choice(
            "overflow_mode", label="where unanswered calls go", choices=OVERFLOW_MODES
        ),
        "ring_timeout_seconds": read.integer(
            "ring_timeout_seconds", label="Seconds the office rings", low=5, high=120
        ),
        "missed_call_text_back": read.boolean("missed_call_text_back"),
        "text_back_message": read.text(
            "text_back_message", label="The text after a missed call", max_length=320
        ),
    }
    if values["records_calls"] and not values["consent_notice"]:
        read.fail("consent_notice", "Callers must hear that the call is recorded: write the notice.")
    if values["missed_call_text_back"] and not values["text_back_message"]:
        read.fail("text_back_message", "Write the text a caller gets after a missed call.")
    read.done()
    now = domain.clock.now()
    async with domain.transaction() as session:
        practice = await session.get(Practice, practice_id)
        assert practice is not None
        row = await session.get(
            PracticePhoneSettings, practice_id, with_for_update=True, populate_existing=True
        )
        if row is None:  # never saved: the defaults, about to be saved for the first time
            row = phone_settings_of(None, practice_id)
            row.revision, row.updated_at = 0, now
            session.add(row)
        before = {name: getattr(row, name) for name in SETTING_FIELDS}
        changed = changes(before, values)
        if not changed:
            return 0
        await take_revision(
            session,
            row,
            parse_revision(form.get("revision")),
            user_id=viewer.user_id,
            now=now,
            time_zone=practice.time_zone,
            what="Phone settings",
        )
        for name, value in values.items():
            setattr(row, name, value)
        audit.record(
            session,
            actor=actor,
            action="phones.changed",
            practice_id=practice_id,
            details={"changes": changed},
        )
    return len(changed)
