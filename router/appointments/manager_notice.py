"""Telling a practice's managers that the PMS needs attention (a failing sync, a booking it refused).

Sent by email to every active manager and practice admin of the practice, after the commit that
decided to send it; each row that triggers it records when (so an outage alerts once). The message
names no patient: it says what failed and where to look.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from router.core.domain import Domain
from router.core.models import StaffUser
from router.core.ports import PortNotConfigured
from router.practices.alert_wording import alert_text

log = logging.getLogger("leadrouter.pms")


async def notify_managers(
    domain: Domain, practice_id: uuid.UUID, *, alert: str, values: dict[str, str]
) -> dict[str, str]:
    """Email the practice's managers and admins the `alert` (a key of router/practices/alert_wording.py,
    in the practice's approved wording); returns each address's outcome (sent, failed, off)."""
    async with domain.sessionmaker() as session:
        text = await alert_text(session, practice_id, alert, values)
        subject, body = text.subject or "", text.body
        emails = (
            await session.scalars(
                select(StaffUser.email).where(
                    StaffUser.practice_id == practice_id,
                    StaffUser.is_active.is_(True),
                    StaffUser.role.in_(("manager", "practice_admin")),
                )
            )
        ).all()
    outcomes: dict[str, str] = {}
    for email in emails:
        try:
            await domain.email.send_email(to=email, subject=subject, body=body)
            outcomes[email] = "sent"
        except PortNotConfigured:
            outcomes[email] = "email not configured"
        except Exception as exc:  # one manager's failure must not stop the others'
            log.warning("PMS notice to a manager failed: %s", type(exc).__name__)
            outcomes[email] = "failed"
    return outcomes
