"""Helpers of the nurture tests: a practice with approved starter wording and a switched-on sequence."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from router.core.domain import Domain
from router.core.models import (
    NurtureEnrolment,
    NurtureMessage,
    NurtureSequence,
    NurtureSettings,
    NurtureTemplate,
    NurtureTemplateVersion,
)
from router.nurture.starter import install_starter
from tests.phones.helpers import phone_practice

SCHEDULING = "https://brightsmile.example/book"


async def nurture_practice(
    domain: Domain,
    *,
    treatments: tuple[str, ...] = ("orthodontics",),
    staff: dict[str, dict[str, Any]] | None = None,
    hours: dict[str, Any] | None = None,
    slug: str = "bright",
    **settings: Any,
) -> Any:
    """A practice with phones, the starter wording approved as shipped, and these sequences on."""
    practice = await phone_practice(domain, overflow_mode=None, staff=staff, hours=hours, slug=slug)
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        await install_starter(session, practice.practice.id, now)
        session.add(
            NurtureSettings(
                practice_id=practice.practice.id,
                sender_name="Bright Smile Dental",
                sender_email="hello@brightsmile.example",
                scheduling_url=SCHEDULING,
                emails_per_hour=settings.pop("emails_per_hour", 200),
                texts_per_hour=settings.pop("texts_per_hour", 100),
                updated_at=now,
                **settings,
            )
        )
        templates = (
            await session.scalars(
                select(NurtureTemplate).where(NurtureTemplate.practice_id == practice.practice.id)
            )
        ).all()
        for template in templates:
            version = await session.scalar(
                select(NurtureTemplateVersion).where(NurtureTemplateVersion.template_id == template.id)
            )
            version.status, version.approved_at = "approved", now
            template.approved_version_id = version.id
        await session.execute(
            update(NurtureSequence)
            .where(
                NurtureSequence.practice_id == practice.practice.id, NurtureSequence.treatment.in_(treatments)
            )
            .values(active=True)
        )
    return practice


def daytime() -> datetime:
    """A Tuesday, 10:00 in Austin: texts may go."""
    from datetime import UTC

    return datetime(2026, 3, 3, 16, 0, tzinfo=UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


async def seed_ab_results(domain, practice, version_id, lead_id, *, a, b):  # type: ignore[no-untyped-def]
    """`a` = (booked, sent) of variant A, `b` of variant B, as enrolments and sent messages."""
    now = domain.clock.now()
    enrolments, messages = [], []
    for variant, (booked, sent) in (("A", a), ("B", b)):
        for n in range(sent):
            enrolment_id = uuid.uuid4()
            common = {"practice_id": practice.practice.id, "lead_id": lead_id}
            enrolments.append(
                {
                    **common,
                    "id": enrolment_id,
                    "sequence_version_id": version_id,
                    "language": "en",
                    "step_index": 1,
                    "status": "exited",
                    "exit_reason": "booked" if n < booked else "closed",
                    "enrolled_at": now,
                }
            )
            messages.append(
                {
                    **common,
                    "id": uuid.uuid4(),
                    "enrolment_id": enrolment_id,
                    "step_index": 0,
                    "channel": "email",
                    "variant": variant,
                    "status": "sent",
                    "sent_at": now,
                    "created_at": now,
                }
            )
    if not enrolments:
        return
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(insert(NurtureEnrolment), enrolments)
        await session.execute(insert(NurtureMessage), messages)
