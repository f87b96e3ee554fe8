"""What the nurture screens show: the overview, one message's versions with a preview, a lead's panel."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import ActionRefused
from router.core.models import (
    Lead,
    Location,
    NurtureCallTask,
    NurtureEnrolment,
    NurtureMessage,
    NurtureSequence,
    NurtureSequenceVersion,
    NurtureSettings,
    NurtureTemplate,
    NurtureTemplateVersion,
    Practice,
    SmsMessage,
    StaffUser,
)
from router.nurture.call_tasks import DueCall, due_for_viewer
from router.nurture.exits import EXIT_WORDS
from router.nurture.rendering import TREATMENT_WORDS, URL, MissingVariable, Rendered, render, warnings
from router.nurture.results import SequenceResult, sequence_result
from router.nurture.templates import approval_refusal, single_approver_note
from router.practices.alert_wording import SHIPPED, STAFF_CHANNEL
from router.privacy.access import Viewer, require

PAUSED_WORDS = "Paused until a manager decides whether this is an existing patient (Matches)"
"""A sequence is paused only while the lead's match to a patient waits for review."""
STATUS_WORDS = {
    "queued": "Waiting to send",
    "held": "Held",
    "sending": "Sending",
    "sent": "Sent",
    "unknown": "May not have been sent",
    "failed": "Not sent (provider refused)",
    "bounced": "Bounced",
    "blocked": "Not sent",
    "cancelled": "Cancelled",
}
SAMPLE = {
    "first_name": "Maria",
    "office_name": "Downtown Office",
    "office_phone": "(512) 555-0100",
    "scheduling_link": "https://leads.example.com/n/c/sample",
    "appointment_day": "Tue 3 Mar",
    "appointment_time": "10:00 AM",
    "treatment": TREATMENT_WORDS["orthodontics"],
    "review_link": "https://g.page/r/sample-practice/review",
}
"""The sample lead a preview is rendered with."""
ALERT_SAMPLE = {
    "minutes": "12",
    "hours": "4",
    "location_name": "Downtown Office",
    "link": "https://leads.example.com/leads/sample",
    "error": "the server did not answer in 10 seconds",
    "attempts": "5",
}
"""The sample values a manager alert's preview is rendered with."""


@dataclass
class SequenceRow:
    sequence: NurtureSequence
    steps: int
    result: SequenceResult


@dataclass
class Overview:
    sequences: list[SequenceRow]
    templates: list[tuple[NurtureTemplate, int | None, int]]
    """(template, approved version number or None, drafts waiting)."""
    calls: list[DueCall]
    settings: NurtureSettings | None
    approver_note: str | None
    staff: list[tuple[str, str]] = field(default_factory=list)


async def overview(session: AsyncSession, viewer: Viewer, now: datetime) -> Overview:
    require(viewer, "nurture.manage")
    practice_id = viewer.practice_id
    assert practice_id is not None
    sequences = []
    for sequence in await session.scalars(
        select(NurtureSequence)
        .where(NurtureSequence.practice_id == practice_id)
        .order_by(NurtureSequence.name)
    ):
        version = await session.scalar(
            select(NurtureSequenceVersion).where(
                NurtureSequenceVersion.sequence_id == sequence.id,
                NurtureSequenceVersion.version == sequence.current_version,
            )
        )
        steps = len(version.steps) if version else 0
        sequences.append(SequenceRow(sequence, steps, await sequence_result(session, sequence.id, steps)))
    drafts = (
        select(func.count())
        .where(
            NurtureTemplateVersion.template_id == NurtureTemplate.id, NurtureTemplateVersion.status == "draft"
        )
        .scalar_subquery()
    )
    approved = (
        select(NurtureTemplateVersion.version)
        .where(NurtureTemplateVersion.id == NurtureTemplate.approved_version_id)
        .scalar_subquery()
    )
    templates = (
        await session.execute(
            select(NurtureTemplate, approved, drafts)
            .where(NurtureTemplate.practice_id == practice_id)
            .order_by(NurtureTemplate.name, NurtureTemplate.language)
        )
    ).all()
    staff = (
        await session.execute(
            select(StaffUser.id, StaffUser.display_name)
            .where(StaffUser.practice_id == practice_id, StaffUser.is_active.is_(True))
            .order_by(StaffUser.display_name)
        )
    ).all()
    return Overview(
        sequences,
        [(t, a, d) for t, a, d in templates],
        await due_for_viewer(session, viewer, now),
        await session.get(NurtureSettings, practice_id),
        await single_approver_note(session, practice_id),
        [(str(i), n) for i, n in staff],
    )


@dataclass
class TemplateScreen:
    template: NurtureTemplate
    versions: list[NurtureTemplateVersion]
    shown: NurtureTemplateVersion | None
    """The version previewed: the newest draft, else the approved one."""
    preview: Rendered | None
    preview_problem: str | None
    warnings: list[str]
    refusal: str | None
    """Why this viewer may not approve the shown version (None: they may)."""
    authors: dict[uuid.UUID, str]


async def template_screen(
    session: AsyncSession, domain: Domain, viewer: Viewer, template_id: uuid.UUID
) -> TemplateScreen:
    require(viewer, "nurture.manage")
    template = await session.get(NurtureTemplate, template_id)
    if template is None or template.practice_id != viewer.practice_id:
        raise ActionRefused("No such message in your practice.")
    versions = list(
        await session.scalars(
            select(NurtureTemplateVersion)
            .where(NurtureTemplateVersion.template_id == template.id)
            .order_by(NurtureTemplateVersion.version.desc())
        )
    )
    drafts = [v for v in versions if v.status == "draft"]
    shown = drafts[0] if drafts else next((v for v in versions if v.id == template.approved_version_id), None)
    practice = await session.get(Practice, template.practice_id)
    settings = await session.get(NurtureSettings, template.practice_id)
    preview, problem, found = None, None, []
    if shown is not None:
        sample = ALERT_SAMPLE if template.channel == STAFF_CHANNEL else SAMPLE
        try:
            preview = render(
                shown.subject, shown.body, {**sample, "practice_name": practice.name if practice else ""}
            )
        except MissingVariable as exc:
            problem = str(exc)
        hosts = _own_hosts(domain, settings)
        found = warnings(template.channel, shown.subject, shown.body, own_hosts=hosts)
        alert = SHIPPED.get(template.key) if template.channel == STAFF_CHANNEL else None
        if alert and "link" in alert.variables and not re.search(r"{{\s*link\s*}}", shown.body):
            found.append("Without {{ link }} the manager has no way to the lead from the alert.")
    ids = {v.author_user_id for v in versions} | {v.approved_by_user_id for v in versions}
    names = dict(
        (
            await session.execute(
                select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(ids - {None}))
            )
        ).all()
    )
    refusal = await approval_refusal(session, viewer, shown, template) if shown else "Nothing to approve."
    return TemplateScreen(template, versions, shown, preview, problem, found, refusal, names)


def _own_hosts(domain: Domain, settings: NurtureSettings | None) -> set[str]:
    from urllib.parse import urlsplit

    urls = [domain.settings.intake.public_url, settings.scheduling_url if settings else None]
    return {(urlsplit(u).hostname or "").lower() for u in urls if u and URL.match(u)}


def reminder_words(kind: str | None) -> str | None:
    """ "appointment confirmation", "appointment reminder, 48 h before"; None for a sequence step."""
    if kind is None:
        return None
    if kind == "confirmation":
        return "appointment confirmation"
    return f"appointment reminder, {kind.removeprefix('reminder_').removesuffix('h')} h before"


@dataclass
class LeadNurture:
    sequence_name: str | None
    status: str | None
    step: int | None
    messages: list[dict[str, Any]]
    open_calls: int
    next_due: str | None = None
    """When the next step runs, in the lead's office's time zone."""


def local_time(moment: datetime, zone: str) -> str:
    """ "Mar 3, 10:00 AM CST": a time as the office reads it."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%b %-d, %-I:%M %p %Z")


async def _lead_zone(session: AsyncSession, lead_id: uuid.UUID) -> str:
    zone = await session.scalar(
        select(func.coalesce(Location.time_zone, Practice.time_zone))
        .select_from(Lead)
        .join(Practice, Practice.id == Lead.practice_id)
        .outerjoin(Location, Location.id == Lead.location_id)
        .where(Lead.id == lead_id)
    )
    return zone or "UTC"


async def lead_panel(session: AsyncSession, lead_id: uuid.UUID) -> LeadNurture:
    """The lead page's follow-up section (the caller has checked the viewer may see the lead)."""
    row = (
        await session.execute(
            select(NurtureEnrolment, NurtureSequence.name)
            .join(NurtureSequenceVersion, NurtureSequenceVersion.id == NurtureEnrolment.sequence_version_id)
            .join(NurtureSequence, NurtureSequence.id == NurtureSequenceVersion.sequence_id)
            .where(NurtureEnrolment.lead_id == lead_id)
            .order_by(NurtureEnrolment.enrolled_at.desc())
            .limit(1)
        )
    ).first()
    zone = await _lead_zone(session, lead_id)
    messages = []
    for message, sms_status in (
        await session.execute(
            select(NurtureMessage, SmsMessage.status)
            .outerjoin(SmsMessage, SmsMessage.id == NurtureMessage.id)
            .where(NurtureMessage.lead_id == lead_id)
            .order_by(NurtureMessage.created_at)
        )
    ).all():
        words = STATUS_WORDS.get(message.status, message.status)
        if sms_status in ("delivered", "undelivered", "failed") and message.status == "sent":
            words = {"delivered": "Delivered", "undelivered": "Not delivered", "failed": "Not delivered"}[
                sms_status
            ]
        messages.append(
            {
                "channel": "Email" if message.channel == "email" else "Text",
                "what": reminder_words(message.reminder_kind),
                "status": words,
                "detail": message.detail,
                "at": local_time(message.sent_at or message.send_after or message.created_at, zone),
                "variant": message.variant,
                "replied": local_time(message.replied_at, zone) if message.replied_at else None,
                "bounced": local_time(message.bounced_at, zone) if message.bounced_at else None,
            }
        )
    open_calls = await session.scalar(
        select(func.count()).where(NurtureCallTask.lead_id == lead_id, NurtureCallTask.status == "open")
    )
    if row is None:
        return LeadNurture(None, None, None, messages, int(open_calls or 0))
    enrolment, name = row
    status = {"active": "In progress", "paused": PAUSED_WORDS, "finished": "Finished"}.get(
        enrolment.status, f"Stopped: {EXIT_WORDS.get(enrolment.exit_reason or '', enrolment.exit_reason)}"
    )
    next_due = (
        local_time(enrolment.next_due_at, zone)
        if enrolment.next_due_at and enrolment.status == "active"
        else None
    )
    return LeadNurture(name, status, enrolment.step_index, messages, int(open_calls or 0), next_due)
