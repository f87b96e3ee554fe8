"""Message wording with versions: a draft sends nothing until a manager other than its author approves it.

Approving retires the previously approved version; every save and approval is audited. A practice
whose only approver wrote the draft names a second approver in the nurture settings first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import ActionRefused, InvalidFields
from router.core.models import (
    NurtureSettings,
    NurtureTemplate,
    NurtureTemplateVersion,
    Practice,
    PracticePhoneSettings,
    StaffUser,
)
from router.nurture.rendering import VARIABLES, MissingVariable, TemplateInvalid, check_wording, render
from router.practices.alert_wording import SHIPPED, STAFF_CHANNEL
from router.privacy import audit
from router.privacy.access import MANAGING_ROLES, Viewer, may_do, require

MISSED_CALL_KEY = "missed-call"
"""The ready-made wording of the missed-call text-back: approving it makes it the text the phones send."""
SMS_MAX_CHARS = 480
"""Three SMS segments: longer texts are split, arrive out of order on some phones, and cost more."""


@dataclass(frozen=True)
class Draft:
    subject: str | None
    body: str


def validate(channel: str, form: dict[str, str], key: str = "") -> Draft:
    """The submitted wording, or InvalidFields naming each problem beside its field."""
    errors: dict[str, str] = {}
    subject = (form.get("subject") or "").strip() or None
    body = (form.get("body") or "").strip()
    alert = SHIPPED.get(key) if channel == STAFF_CHANNEL else None
    has_subject = channel == "email" or (alert is not None and alert.subject is not None)
    texted = channel == "sms" or (alert is not None and alert.subject is None)
    if has_subject and not subject:
        errors["subject"] = "An email needs a subject."
    if not body:
        errors["body"] = "Write the message."
    elif texted and len(body) > SMS_MAX_CHARS:
        errors["body"] = f"A text may be at most {SMS_MAX_CHARS} characters; this one has {len(body)}."
    allowed = alert.variables if alert is not None else VARIABLES.keys()
    for field, text in (("subject", subject), ("body", body)):
        if text and field not in errors:
            try:
                check_wording(text, allowed)
            except TemplateInvalid as exc:
                errors[field] = str(exc).capitalize() + "."
    if errors:
        raise InvalidFields(errors)
    return Draft(subject if has_subject else None, body)


async def _template_for(session: AsyncSession, viewer: Viewer, template_id: uuid.UUID) -> NurtureTemplate:
    template = await session.get(NurtureTemplate, template_id, with_for_update=True)
    if template is None or template.practice_id != viewer.practice_id:
        raise ActionRefused("No such message in your practice.")
    return template


async def save_draft(
    domain: Domain, viewer: Viewer, template_id: uuid.UUID, form: dict[str, str], *, actor: audit.Actor
) -> NurtureTemplateVersion:
    """A new draft version of the wording (the approved one keeps sending until this is approved)."""
    require(viewer, "nurture.manage")
    async with domain.sessionmaker() as session, session.begin():
        template = await _template_for(session, viewer, template_id)
        draft = validate(template.channel, form, template.key)
        latest = await session.scalar(
            select(func.max(NurtureTemplateVersion.version)).where(
                NurtureTemplateVersion.template_id == template.id
            )
        )
        version = NurtureTemplateVersion(
            id=uuid.uuid4(),
            template_id=template.id,
            version=(latest or 0) + 1,
            subject=draft.subject,
            body=draft.body,
            status="draft",
            author_user_id=viewer.user_id,
            created_at=domain.clock.now(),
        )
        session.add(version)
        audit.record(
            session,
            actor=actor,
            action="nurture.template_draft",
            practice_id=template.practice_id,
            details={"template_id": str(template.id), "version": version.version},
        )
    return version


async def approvers(session: AsyncSession, practice_id: uuid.UUID) -> int:
    """How many active managers and practice admins the practice has."""
    return int(
        await session.scalar(
            select(func.count()).where(
                StaffUser.practice_id == practice_id,
                StaffUser.role.in_(MANAGING_ROLES),
                StaffUser.is_active.is_(True),
            )
        )
        or 0
    )


async def approval_refusal(
    session: AsyncSession, viewer: Viewer, version: NurtureTemplateVersion, template: NurtureTemplate
) -> str | None:
    """Why this person may not approve this version, in the words the screen shows; None if they may."""
    if version.status != "draft":
        return "Only a draft can be approved."
    if version.author_user_id == viewer.user_id:
        return "You wrote this version: someone else must approve it."
    if not may_do(viewer, "nurture.approve"):
        settings = await session.get(NurtureSettings, template.practice_id)
        if settings is None or settings.second_approver_user_id != viewer.user_id:
            return "Only a manager, a practice admin or the named second approver may approve wording."
    return None


async def single_approver_note(session: AsyncSession, practice_id: uuid.UUID) -> str | None:
    """Said on the screen, and refuses activating a sequence, while nobody could approve the one
    approver's own drafts."""
    if await approvers(session, practice_id) >= 2:
        return None
    settings = await session.get(NurtureSettings, practice_id)
    if settings is not None and settings.second_approver_user_id is not None:
        return None
    return (
        "Your practice has one manager who can approve wording, and nobody may approve their own: "
        "name a second approver in the nurture settings before turning a sequence on."
    )


async def approve(domain: Domain, viewer: Viewer, version_id: uuid.UUID, *, actor: audit.Actor) -> None:
    """Approve a draft: it sends from now on, and the version it replaces is retired."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        version = await session.get(NurtureTemplateVersion, version_id, with_for_update=True)
        if version is None:
            raise ActionRefused("No such version.")
        template = await _template_for(session, viewer, version.template_id)
        refusal = await approval_refusal(session, viewer, version, template)
        if refusal:
            raise ActionRefused(refusal)
        if template.approved_version_id is not None:
            previous = await session.get(NurtureTemplateVersion, template.approved_version_id)
            if previous is not None:
                previous.status = "retired"
        version.status, version.approved_by_user_id, version.approved_at = "approved", viewer.user_id, now
        template.approved_version_id = version.id
        if template.key == MISSED_CALL_KEY and template.language == "en":
            await _use_for_text_back(session, template.practice_id, version)
        audit.record(
            session,
            actor=actor,
            action="nurture.template_approve",
            practice_id=template.practice_id,
            details={"template_id": str(template.id), "version": version.version},
        )


async def _use_for_text_back(
    session: AsyncSession, practice_id: uuid.UUID, version: NurtureTemplateVersion
) -> None:
    """The approved missed-call wording becomes the practice's text-back (the phones read it from there)."""
    practice = await session.get(Practice, practice_id)
    phones = await session.get(PracticePhoneSettings, practice_id, with_for_update=True)
    if practice is None or phones is None:
        return
    try:
        rendered = render(
            None, version.body, {"practice_name": practice.name, "office_phone": practice.support_phone}
        )
    except MissingVariable:
        return  # a caller has no name on file yet: wording that needs one cannot be the text-back
    phones.text_back_message = rendered.body
