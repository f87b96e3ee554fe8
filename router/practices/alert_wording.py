"""The wording of the alerts managers get (escalations, overdue follow-up calls, PMS failures).

Each alert is a message template like a patient message (router/nurture/templates.py): a practice
edits it on the Follow-up screen, a draft sends nothing until a manager other than its author
approves it, every approval is audited. The wording below is the shipped, approved version: it sends
while a practice has no approved version of its own, and "Add ready-made" installs it as version 1.
Alerts carry no PHI (the variables are the wait, the office, a link, a system's error), and an alert
is never lost to wording: if a practice's version cannot be rendered, the shipped one is sent.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import NurtureTemplate, NurtureTemplateVersion

log = logging.getLogger("leadrouter.alerts")

STAFF_CHANNEL = "staff"
"""The templates' channel for alerts to the practice's own people (text and email alike)."""
LEVEL_1 = "alert-level-1"
LEVEL_2 = "alert-level-2"
CALL_OVERDUE = "alert-call-overdue"
PMS_SYNC_FAILING = "alert-pms-sync"
PMS_BOOKING_REFUSED = "alert-pms-refused"
PMS_BOOKING_PENDING = "alert-pms-pending"

ALERT_VARIABLES: dict[str, str] = {
    "minutes": "How many minutes the lead has waited",
    "hours": "How many working hours a follow-up call is overdue",
    "location_name": "The office (or the practice when the lead has none)",
    "link": "The lead's page (the board for the manager)",
    "error": "What the practice-management system answered",
    "attempts": "How many times the booking was tried",
}
"""Every variable an alert's wording may use (none of them is PHI)."""


@dataclass(frozen=True)
class AlertWording:
    name: str
    subject: str | None
    body: str
    variables: tuple[str, ...]
    """The variables this alert has values for (its wording may use only these)."""


SHIPPED: dict[str, AlertWording] = {
    LEVEL_1: AlertWording(
        "Manager alert: lead escalated",
        None,
        "Lead not contacted after {{ minutes }} min at {{ location_name }}: escalated and shown to overflow "
        "agents. Open the board: {{ link }}",
        ("minutes", "location_name", "link"),
    ),
    LEVEL_2: AlertWording(
        "Manager alert: lead still waiting (text and email)",
        None,
        "Lead waiting {{ minutes }} min at {{ location_name }}, still not contacted. "
        "Open the board: {{ link }}",
        ("minutes", "location_name", "link"),
    ),
    CALL_OVERDUE: AlertWording(
        "Manager alert: follow-up call overdue (text and email)",
        None,
        "A follow-up call at {{ location_name }} is {{ hours }} working hours overdue. "
        "Open the board: {{ link }}",
        ("hours", "location_name", "link"),
    ),
    PMS_SYNC_FAILING: AlertWording(
        "Manager email: practice-management sync failing",
        "The practice-management sync has been failing for 30 minutes",
        "Lead Router could not read your practice-management system for the last 30 minutes. "
        "The last answer was: {{ error }}. Leads keep arriving as usual; bookings made meanwhile "
        "are kept as 'pending in PMS' and written once it answers. "
        "Open Administration > Practice-management system for details.",
        ("error",),
    ),
    PMS_BOOKING_REFUSED: AlertWording(
        "Manager email: booking refused by the practice-management system",
        "A booking is not in the practice-management system",
        "The practice-management system refused an appointment booked in Lead Router: {{ error }}",
        ("error",),
    ),
    PMS_BOOKING_PENDING: AlertWording(
        "Manager email: booking not yet in the practice-management system",
        "A booking is not in the practice-management system",
        "An appointment booked in Lead Router could not be written to the practice-management "
        "system after {{ attempts }} attempts ({{ error }}). It is kept as 'pending in PMS' "
        "and retried every 10 minutes; enter it in the PMS by hand if it is urgent.",
        ("attempts", "error"),
    ),
}
"""Each alert's shipped wording: exactly what the product sent before alerts became templates."""

_environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@dataclass(frozen=True)
class AlertText:
    subject: str | None
    body: str


def render_alert(wording_subject: str | None, wording_body: str, values: dict[str, str]) -> AlertText:
    """The alert for these values (raises jinja2's TemplateError when the wording cannot be rendered)."""
    subject = _environment.from_string(wording_subject).render(values).strip() if wording_subject else None
    return AlertText(subject, _environment.from_string(wording_body).render(values).strip())


async def alert_text(
    session: AsyncSession, practice_id: uuid.UUID, key: str, values: dict[str, str]
) -> AlertText:
    """The practice's approved wording of this alert, rendered; the shipped wording when it has none."""
    shipped = SHIPPED[key]
    version = await session.scalar(
        select(NurtureTemplateVersion)
        .join(NurtureTemplate, NurtureTemplate.approved_version_id == NurtureTemplateVersion.id)
        .where(
            NurtureTemplate.practice_id == practice_id,
            NurtureTemplate.key == key,
            NurtureTemplate.language == "en",
        )
    )
    if version is not None:
        try:
            return render_alert(version.subject or shipped.subject, version.body, values)
        except TemplateError as exc:  # an alert is never lost to its wording
            log.warning("alert %s of practice %s: approved wording failed (%s)", key, practice_id, exc)
    return render_alert(shipped.subject, shipped.body, values)
