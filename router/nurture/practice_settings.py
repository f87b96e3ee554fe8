"""The nurture settings a manager saves: sender, scheduling page, limits, call threshold, approver."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.core.models import NurtureSettings, StaffUser
from router.intake.normalize import normalize_email
from router.nurture.call_escalation import DEFAULT_ESCALATE_HOURS
from router.nurture.starter import install_starter
from router.privacy import audit
from router.privacy.access import Viewer, require


def _email(form: dict[str, Any], name: str, errors: dict[str, str]) -> str | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return normalize_email(raw)
    except ValueError:
        errors[name] = "Enter an email address, like hello@yourpractice.com."
        return None


def _number(
    form: dict[str, Any], name: str, errors: dict[str, str], low: int, high: int, words: str
) -> int | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors[name] = f"{words} must be a whole number from {low} to {high}."
        return None
    return int(raw)


def parse(form: dict[str, Any], staff_ids: set[str]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "sender_name": str(form.get("sender_name") or "").strip()[:200] or None,
        "sender_email": _email(form, "sender_email", errors),
        "reply_to": _email(form, "reply_to", errors),
        "call_task_score": _number(form, "call_task_score", errors, 0, 100, "The score"),
        "emails_per_hour": _number(form, "emails_per_hour", errors, 1, 100_000, "Emails per hour") or 200,
        "texts_per_hour": _number(form, "texts_per_hour", errors, 1, 100_000, "Texts per hour") or 100,
        "call_task_escalate_hours": _number(
            form, "call_task_escalate_hours", errors, 1, 72, "Working hours before managers are told"
        )
        or DEFAULT_ESCALATE_HOURS,
    }
    values["tag_reply_address"] = str(form.get("tag_reply_address") or "") in ("1", "on", "true")
    url = str(form.get("scheduling_url") or "").strip()
    if url and (urlsplit(url).scheme != "https" or not urlsplit(url).hostname):
        errors["scheduling_url"] = "Enter the full address of your scheduling page, starting with https://."
    values["scheduling_url"] = url or None
    approver = str(form.get("second_approver_user_id") or "")
    if approver and approver not in staff_ids:
        errors["second_approver_user_id"] = "Choose someone from your practice, or nobody."
    values["second_approver_user_id"] = uuid.UUID(approver) if approver else None
    if errors:
        raise InvalidFields(errors)
    return values


async def save_settings(domain: Domain, viewer: Viewer, form: dict[str, Any], *, actor: audit.Actor) -> None:
    require(viewer, "nurture.manage")
    practice_id = viewer.practice_id
    assert practice_id is not None
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        staff = {
            str(i)
            for i in await session.scalars(select(StaffUser.id).where(StaffUser.practice_id == practice_id))
        }
        values = parse(form, staff)
        settings = await session.get(NurtureSettings, practice_id, with_for_update=True)
        if settings is None:
            settings = NurtureSettings(practice_id=practice_id)
            session.add(settings)
        for key, value in values.items():
            setattr(settings, key, value)
        settings.updated_at = now
        await install_starter(session, practice_id, now)
        audit.record(session, actor=actor, action="nurture.settings", practice_id=practice_id, details={})


async def add_starter(domain: Domain, viewer: Viewer, *, actor: audit.Actor) -> int:
    """Add the ready-made sequences and wording the practice does not have (drafts, switched off)."""
    require(viewer, "nurture.manage")
    assert viewer.practice_id is not None
    async with domain.sessionmaker() as session, session.begin():
        added = await install_starter(session, viewer.practice_id, domain.clock.now())
        audit.record(
            session,
            actor=actor,
            action="nurture.starter",
            practice_id=viewer.practice_id,
            details={"added": added},
        )
    return added
