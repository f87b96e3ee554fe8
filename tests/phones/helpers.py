"""Helpers for the phones tests: practices with tracking numbers, signed Twilio posts, TwiML parsing,
a front-desk viewer."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

import httpx

from connectors.twilio.config import TwilioConfig
from connectors.twilio.signature import sign_webhook
from router.core.domain import Domain
from router.core.models import CallCenter, CallCenterPractice, PracticePhoneSettings
from router.phones.numbers import add_tracking_number
from router.privacy.access import Viewer
from tests.factories import ALL_WEEK, make_practice

TRACKING = "+15125550101"
FRONT_DESK = "+15125550100"
CENTER_PHONE = "+15125550150"
CALLER = "+15128675309"
CLOSED_ALL_WEEK: dict[str, list[list[str]]] = {}
WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


async def phone_practice(
    domain: Domain,
    *,
    hours: dict[str, Any] | None = None,
    overflow_mode: str | None = "number",
    center_hours: dict[str, Any] | None = None,
    records_calls: bool = False,
    text_back: bool = False,
    staff: dict[str, dict[str, Any]] | None = None,
    slug: str = "bright",
    tracking: str = TRACKING,
) -> Any:
    """A practice with one office (front desk phone), a tracking number and, unless None, a call center."""
    practice = await make_practice(
        domain,
        slug=slug,
        locations={
            "downtown": {
                "zip": "78701",
                "phone": FRONT_DESK,
                "business_hours": ALL_WEEK if hours is None else hours,
            }
        },
        staff=staff,
    )
    async with domain.sessionmaker() as session, session.begin():
        await add_tracking_number(
            session,
            location=practice.locations["downtown"],
            phone=tracking,
            channel="google_ads",
            campaign="implants",
        )
        session.add(
            PracticePhoneSettings(
                practice_id=practice.practice.id,
                practice_number=tracking,
                records_calls=records_calls,
                consent_notice="This call is recorded." if records_calls else None,
                overflow_mode=overflow_mode or "number",
                ring_timeout_seconds=20,
                missed_call_text_back=text_back,
                updated_at=domain.clock.now(),
            )
        )
        if overflow_mode is not None:
            center = CallCenter(
                id=uuid.uuid4(),
                slug=f"overflow-{slug}",
                name="Overflow",
                phone=CENTER_PHONE,
                business_hours=center_hours or {},
                time_zone="America/Chicago",
            )
            session.add(center)
            await session.flush([center])
            session.add(CallCenterPractice(call_center_id=center.id, practice_id=practice.practice.id))
            practice.call_center = center
    return practice


async def post_signed(
    client: httpx.AsyncClient,
    config: TwilioConfig,
    path: str,
    params: Iterable[tuple[str, str]] | dict[str, str],
) -> httpx.Response:
    """Post as Twilio does: form-encoded, signed over the public URL of `path` (query included)."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params)
    body, headers = sign_webhook(config, path_and_query=path, params=pairs)
    return await client.post(path, content=body, headers=headers)


def call_params(call_sid: str, *, caller: str = CALLER, to: str = TRACKING, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": "AC" + "0" * 31 + "1",
        "CallSid": call_sid,
        "From": caller,
        "To": to,
        "CallStatus": "ringing",
        "Direction": "inbound",
        **extra,
    }


def twiml(response: httpx.Response) -> ET.Element:
    """The TwiML document of a voice answer, parsed (assertions read elements, never substrings)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return root


def new_sid(prefix: str = "CA") -> str:
    return prefix + uuid.uuid4().hex


async def form_lead(domain: Domain, practice: Any, **fields: Any) -> uuid.UUID:
    """A lead from the practice's web form (the way most leads arrive), returned by id."""
    import hashlib

    from router.intake.pipeline import InquiryCommand, ingest_inquiry
    from router.privacy.audit import Actor
    from tests.factories import inquiry

    key = uuid.uuid4().hex
    result = await ingest_inquiry(
        domain,
        InquiryCommand(
            practice_id=practice.practice.id,
            source_kind="form",
            fields=inquiry(**fields),
            received_at=domain.clock.now(),
            actor=Actor("integration", "test"),
            idempotency_scope="test",
            idempotency_key=key,
            request_sha256=hashlib.sha256(key.encode()).digest(),
        ),
    )
    return uuid.UUID(result.body["lead_id"])


def sms_params(
    body: str, *, sid: str | None = None, sender: str = CALLER, to: str = TRACKING
) -> dict[str, str]:
    return {
        "AccountSid": "AC" + "0" * 31 + "1",
        "MessageSid": sid or new_sid("SM"),
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }


def viewer_for(practice, user) -> Viewer:  # type: ignore[no-untyped-def]
    return Viewer(
        user_id=user.id,
        role="front_desk",
        display_name=user.display_name,
        practice_id=practice.practice.id,
        location_ids=frozenset(loc.id for loc in practice.locations.values()),
        overflow_practice_ids=frozenset(),
    )
