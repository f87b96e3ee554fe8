"""Installs the ready-made sequences and wording in a practice: drafts and switched off, to review.

Each treatment's sequence: a welcome email at once, a text the next day (a lead who clicked the
scheduling link gets a staff call instead), a follow-up email three days later, then a staff call.
Emergencies get a text at once and a call within half an hour.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import (
    NurtureSequence,
    NurtureSequenceVersion,
    NurtureTemplate,
    NurtureTemplateVersion,
)
from router.nurture.starter_wording import (
    CHECK_IN,
    FOLLOW_UP,
    MISSED_CALL,
    NAMES,
    REFERRAL_THANKS,
    REMINDER_EMAILS,
    REMINDER_NAMES,
    REMINDER_TEXTS,
    REVIEW_REQUEST,
    REVIEW_TEXT,
    TREATMENTS,
    URGENT,
    WELCOME,
    WHY,
)
from router.practices.alert_wording import SHIPPED, STAFF_CHANNEL

DAY = 24 * 60


def starter_wording() -> list[tuple[str, str, str, str, str | None, str]]:
    """(key, language, channel, name, subject, body) of every ready-made message."""
    out: list[tuple[str, str, str, str, str | None, str]] = []
    for language in ("en", "es"):
        for treatment in TREATMENTS:
            name = NAMES[treatment]
            subject, body = WELCOME[language]
            out.append(
                (
                    f"{treatment}-welcome",
                    language,
                    "email",
                    f"{name}: welcome email",
                    subject,
                    body.replace("{why}", WHY[treatment][language]),
                )
            )
            subject, body = FOLLOW_UP[language]
            out.append(
                (f"{treatment}-follow-up", language, "email", f"{name}: follow-up email", subject, body)
            )
            text = URGENT[language] if treatment == "emergency" else CHECK_IN[language]
            out.append((f"{treatment}-text", language, "sms", f"{name}: text", None, text))
        out.append(("missed-call", language, "sms", "Missed call text-back", None, MISSED_CALL[language]))
        subject, body = REFERRAL_THANKS[language]
        out.append(("referral-thanks", language, "email", "Thank you for a referral", subject, body))
        subject, body = REVIEW_REQUEST[language]
        out.append(("review-request", language, "email", "Review request: email", subject, body))
        text = REVIEW_TEXT[language]
        out.append(("review-request-text", language, "sms", "Review request: text", None, text))
        for key, texts in REMINDER_TEXTS.items():
            out.append((key, language, "sms", REMINDER_NAMES[key], None, texts[language]))
        for key, emails in REMINDER_EMAILS.items():
            subject, body = emails[language]
            out.append((key, language, "email", REMINDER_NAMES[key], subject, body))
    for key, alert in SHIPPED.items():
        out.append((key, "en", STAFF_CHANNEL, alert.name, alert.subject, alert.body))
    return out


def starter_steps(treatment: str) -> list[dict[str, Any]]:
    if treatment == "emergency":
        return [
            {"wait_minutes": 0, "action": "sms", "template": "emergency-text"},
            {"wait_minutes": 30, "action": "call"},
            {"wait_minutes": DAY, "action": "email", "template": "emergency-welcome"},
        ]
    return [
        {"wait_minutes": 0, "action": "email", "template": f"{treatment}-welcome"},
        {
            "wait_minutes": DAY,
            "action": "sms",
            "template": f"{treatment}-text",
            "branch_on": "clicked",
            "branch_to": 3,
        },
        {"wait_minutes": 3 * DAY, "action": "email", "template": f"{treatment}-follow-up"},
        {"wait_minutes": 2 * DAY, "action": "call"},
    ]


async def install_starter(session: AsyncSession, practice_id: uuid.UUID, now: datetime) -> int:
    """Add the ready-made wording (as drafts) and sequences (off) the practice does not have yet."""
    return await _install_wording(session, practice_id, now) + await _install_sequences(
        session, practice_id, now
    )


async def _install_wording(session: AsyncSession, practice_id: uuid.UUID, now: datetime) -> int:
    added = 0
    existing = set(
        (
            await session.execute(
                select(NurtureTemplate.key, NurtureTemplate.language).where(
                    NurtureTemplate.practice_id == practice_id
                )
            )
        ).all()
    )
    for key, language, channel, name, subject, body in starter_wording():
        if (key, language) in existing:
            continue
        template = NurtureTemplate(
            id=uuid.uuid4(),
            practice_id=practice_id,
            key=key,
            language=language,
            channel=channel,
            name=name,
            created_at=now,
        )
        session.add(template)
        await session.flush([template])
        version = NurtureTemplateVersion(
            id=uuid.uuid4(),
            template_id=template.id,
            version=1,
            subject=subject,
            body=body,
            status="draft",
            created_at=now,
        )
        session.add(version)
        if channel == STAFF_CHANNEL:  # alerts already send this wording: it is the approved version 1
            await session.flush([version])
            version.status, version.approved_at = "approved", now
            template.approved_version_id = version.id
        added += 1
    return added


async def _install_sequences(session: AsyncSession, practice_id: uuid.UUID, now: datetime) -> int:
    added = 0
    names = set(
        await session.scalars(select(NurtureSequence.name).where(NurtureSequence.practice_id == practice_id))
    )
    for treatment in TREATMENTS:
        if NAMES[treatment] in names:
            continue
        sequence = NurtureSequence(
            id=uuid.uuid4(),
            practice_id=practice_id,
            name=NAMES[treatment],
            treatment=treatment,
            active=False,
            current_version=1,
            created_at=now,
        )
        session.add(sequence)
        await session.flush([sequence])
        session.add(
            NurtureSequenceVersion(
                id=uuid.uuid4(),
                sequence_id=sequence.id,
                version=1,
                steps=starter_steps(treatment),
                created_at=now,
            )
        )
        added += 1
    return added
