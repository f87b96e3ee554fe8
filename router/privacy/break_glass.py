"""Break-glass access: a person reads one practice's patient records outside their scope, in the open.

Starting it takes a reason and a time limit, writes an audit record, and alerts the practice's
managers and practice admins at once. While it lasts every read the person causes is flagged in
the audit log with the grant's id (`router.audit.Actor.break_glass`). It never allows actions.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from router.core.domain import Domain
from router.core.errors import InvalidChoice, NotPermitted
from router.core.models import BreakGlassGrant, Practice, StaffUser
from router.core.ports import PortNotConfigured
from router.privacy import audit
from router.privacy.access import MANAGING_ROLES, PLATFORM_OPERATOR, Viewer, require

log = logging.getLogger("leadrouter.break_glass")

MAX_MINUTES = 60
"""The longest a grant lasts: long enough to answer one patient's question, short enough to lapse."""
MIN_REASON_CHARACTERS = 15
"""A reason a compliance officer can act on ("patient called about a bill"), not "x"."""
ENDED_NOTICE_WINDOW = timedelta(hours=12)
"""How long after a grant lapses a refused lead page still explains that the access has ended."""


@dataclass(frozen=True)
class GrantStarted:
    grant_id: uuid.UUID
    practice_name: str
    expires_at: datetime
    alerted: int
    """How many managers and practice admins the alert reached."""


async def start_break_glass(
    domain: Domain,
    viewer: Viewer,
    *,
    practice_id: uuid.UUID,
    reason: str,
    minutes: int,
    actor: audit.Actor,
) -> GrantStarted:
    """Open read access to one practice for `minutes` (at most an hour), audited and announced."""
    require(viewer, "break_glass.start")
    reason = reason.strip()
    if len(reason) < MIN_REASON_CHARACTERS:
        raise InvalidChoice(f"Say why you need access, in at least {MIN_REASON_CHARACTERS} characters.")
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidChoice(f"Access lasts between 1 and {MAX_MINUTES} minutes.")
    if viewer.role != PLATFORM_OPERATOR and practice_id != viewer.practice_id:
        raise NotPermitted("You can only open records of your own practice.")
    now = domain.clock.now()
    async with domain.transaction() as session:
        practice = await session.get(Practice, practice_id)
        if practice is None:
            raise InvalidChoice("Choose a practice.")
        await session.execute(
            update(BreakGlassGrant)
            .where(BreakGlassGrant.user_id == viewer.user_id, BreakGlassGrant.ended_at.is_(None))
            .values(ended_at=now)
        )
        grant = BreakGlassGrant(
            id=uuid.uuid4(),
            user_id=viewer.user_id,
            practice_id=practice_id,
            reason=reason,
            started_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        session.add(grant)
        audit.record(
            session,
            actor=actor,
            action="break_glass.start",
            practice_id=practice_id,
            details={"grant_id": str(grant.id), "minutes": minutes},
        )
        recipients = (
            await session.scalars(
                select(StaffUser).where(
                    StaffUser.practice_id == practice_id,
                    StaffUser.role.in_(MANAGING_ROLES),
                    StaffUser.is_active.is_(True),
                    StaffUser.id != viewer.user_id,
                )
            )
        ).all()
        practice_name = practice.name
    alerted = await _alert(domain, viewer, practice_name, grant, list(recipients))
    return GrantStarted(grant.id, practice_name, grant.expires_at, alerted)


async def end_break_glass(domain: Domain, viewer: Viewer, *, actor: audit.Actor) -> bool:
    """Close the viewer's open grant before it runs out; True when there was one."""
    now = domain.clock.now()
    async with domain.transaction() as session:
        ended = (
            await session.execute(
                update(BreakGlassGrant)
                .where(
                    BreakGlassGrant.user_id == viewer.user_id,
                    BreakGlassGrant.ended_at.is_(None),
                    BreakGlassGrant.expires_at > now,
                )
                .values(ended_at=now)
                .returning(BreakGlassGrant.id, BreakGlassGrant.practice_id)
            )
        ).first()
        if ended is not None:
            audit.record(
                session,
                actor=actor,
                action="break_glass.end",
                practice_id=ended.practice_id,
                details={"grant_id": str(ended.id)},
            )
    return ended is not None


async def lapsed_grant(domain: Domain, viewer: Viewer) -> BreakGlassGrant | None:
    """The viewer's grant that ran out recently (a refused page says so instead of "not found")."""
    if viewer.break_glass is not None:
        return None
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        return await session.scalar(
            select(BreakGlassGrant)
            .where(
                BreakGlassGrant.user_id == viewer.user_id,
                BreakGlassGrant.expires_at <= now,
                BreakGlassGrant.expires_at > now - ENDED_NOTICE_WINDOW,
            )
            .order_by(BreakGlassGrant.expires_at.desc())
            .limit(1)
        )


async def acknowledge_lapsed(domain: Domain, viewer: Viewer) -> None:
    """The person has now seen that their access ran out: later pages no longer send them here."""
    if not viewer.break_glass_lapsed:
        return
    now = domain.clock.now()
    async with domain.transaction() as session:
        await session.execute(
            update(BreakGlassGrant)
            .where(
                BreakGlassGrant.user_id == viewer.user_id,
                BreakGlassGrant.ended_at.is_(None),
                BreakGlassGrant.expires_at <= now,
            )
            .values(ended_at=BreakGlassGrant.expires_at)
        )


async def _alert(
    domain: Domain, viewer: Viewer, practice_name: str, grant: BreakGlassGrant, recipients: list[StaffUser]
) -> int:
    """Email the practice's managers after commit (no PHI: who, when, until when; the reason is in-app)."""
    subject = f"Break-glass access to {practice_name} patient records"
    body = (
        f"{viewer.display_name} opened emergency access to {practice_name}'s patient records at "
        f"{grant.started_at:%Y-%m-%d %H:%M} UTC until {grant.expires_at:%H:%M} UTC. Every record they open "
        "is flagged in the audit log, with the reason they gave. Sign in to review it."
    )
    sent = 0
    for person in recipients:
        try:
            await domain.email.send_email(to=person.email, subject=subject, body=body)
            sent += 1
        except PortNotConfigured:
            log.warning("break-glass alert for grant %s: email is not configured", grant.id)
            break
        except Exception as exc:  # one manager's failing address must not hide the alert from the rest
            log.warning("break-glass alert for grant %s to user %s failed: %r", grant.id, person.id, exc)
    return sent
