"""Level-2 manager alerts: who is on call for them, and sending them at least once.

On call comes from schedules, never from who has a board open: level 2 exists for when nobody is
watching. A manager is on call during their `manager_on_call` hours (a practice setting), else
during their shift, else during the location's business hours; one who set themselves away by hand
is not. With nobody on call the alert goes to the practice's fallback contact.

Sending is at least once: the alert row (committed with the escalation) lists every send as
pending and carries a lease. The worker that escalated sends right after the commit, renewing the
lease after each send; if it dies, the lease lapses and the sweeper sends what is still pending.
A manager may then get an alert twice; no alert is lost. (Texts to patients are the opposite, at
most once: router/sms.py.)
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Location, ManagerAlert, StaffLocation, StaffUser
from router.core.ports import PortNotConfigured
from router.intake.assignment import on_shift
from router.practices.hours import BusinessHours
from router.practices.settings import PracticeSettings

log = logging.getLogger("leadrouter.escalation")

ALERT_SEND_LEASE = timedelta(minutes=2)
"""How long the sender of an alert may go without progress before another worker takes over: each
send (one text or one email) is bounded by its vendor's timeout (10 s for SMTP) and renews the lease,
so two minutes without one means the sender died."""
ALERT_SWEEP_BATCH = 100
"""Alerts resent per sweep; more than this pending at once means an outage, and the next continues."""

FALLBACK_CONTACT = "fallback_contact"
"""A delivery's `recipient` when it goes to the practice's fallback contact rather than a manager."""


def is_on_call(
    manager: StaffUser,
    *,
    location: Location | None,
    time_zone: str,
    settings: PracticeSettings,
    now: datetime,
) -> bool:
    """Whether the manager is on call for level-2 alerts now, by schedule alone."""
    hours = settings.manager_on_call.get(manager.email.casefold())
    if hours is not None:
        zone = location.time_zone if location is not None else time_zone
        return BusinessHours.cached(time_zone=zone, business_hours=hours, holidays=()).is_open(now)
    return location is None or on_shift(manager, location, now)


async def managers_on_call(
    session: AsyncSession,
    *,
    practice_id: uuid.UUID,
    location: Location | None,
    time_zone: str,
    settings: PracticeSettings,
    now: datetime,
) -> list[StaffUser]:
    """Active managers of the lead's location on call now (an away set by the presence sweeper, because
    their board closed, does not count; an away they chose does)."""
    query = select(StaffUser).where(
        StaffUser.practice_id == practice_id,
        StaffUser.role == "manager",
        StaffUser.is_active.is_(True),
        not_(and_(StaffUser.availability == "away", StaffUser.away_automatically.is_(False))),
    )
    if location is not None:
        query = query.join(StaffLocation, StaffLocation.user_id == StaffUser.id).where(
            StaffLocation.location_id == location.id
        )
    managers = (await session.scalars(query.order_by(StaffUser.email))).all()
    return [
        m
        for m in managers
        if is_on_call(m, location=location, time_zone=time_zone, settings=settings, now=now)
    ]


def planned_deliveries(managers: Sequence[StaffUser], settings: PracticeSettings) -> list[dict[str, Any]]:
    """The sends of a level-2 alert, all pending (or why one cannot be made)."""
    if managers:
        planned = []
        for manager in managers:
            sms_status = "pending" if manager.phone else "no_phone"
            planned.append({"user_id": str(manager.id), "channel": "sms", "status": sms_status, "detail": ""})
            planned.append(
                {"user_id": str(manager.id), "channel": "email", "status": "pending", "detail": ""}
            )
        return planned
    planned = [{"user_id": None, "channel": "none", "status": "no_manager_on_duty", "detail": ""}]
    contact = settings.alert_fallback_contact
    for channel, to in (("sms", contact.phone), ("email", contact.email)):
        if to:
            planned.append(
                {
                    "user_id": None,
                    "recipient": FALLBACK_CONTACT,
                    "to": to,
                    "channel": channel,
                    "status": "pending",
                    "detail": "",
                }
            )
    return planned


def has_pending(deliveries: Sequence[dict[str, Any]]) -> bool:
    return any(d["status"] == "pending" for d in deliveries)


async def send_alert(domain: Domain, alert_id: uuid.UUID) -> list[dict[str, Any]]:
    """Send the alert's pending texts and emails; every outcome, failures included, lands on the alert.

    The caller holds the alert's send lease (it created the alert, or the sweeper claimed it).
    """
    async with domain.sessionmaker() as session:
        alert = await session.get(ManagerAlert, alert_id)
        if alert is None:
            return []
        user_ids = {uuid.UUID(d["user_id"]) for d in alert.deliveries if d.get("user_id")}
        managers = (
            {
                str(u.id): u
                for u in (await session.scalars(select(StaffUser).where(StaffUser.id.in_(user_ids))))
            }
            if user_ids
            else {}
        )
    subject = alert.message.split(". Open the board")[0]
    results = [dict(d) for d in alert.deliveries]
    unrecorded = False
    for delivery in results:
        if delivery["status"] != "pending":
            continue
        manager = managers.get(delivery.get("user_id") or "")
        if delivery.get("recipient") == FALLBACK_CONTACT:
            to = delivery.get("to") or ""
        elif manager is None:
            delivery.update(status="no_recipient", detail="the manager's account is gone")
            unrecorded = True
            continue
        else:
            to = (manager.phone if delivery["channel"] == "sms" else manager.email) or ""
        try:
            if delivery["channel"] == "sms":
                sent_id = await domain.sms.send_sms(
                    practice_id=alert.practice_id, to=to, body=alert.message, automated=True
                )
            else:
                sent_id = await domain.email.send_email(to=to, subject=subject, body=alert.message)
            status, detail = ("sent", sent_id) if sent_id else ("not_sent", "")
        except PortNotConfigured as exc:
            status, detail = "not_configured", str(exc)
        except Exception as exc:  # a vendor's failure must not stop the other sends
            log.warning("alert %s: %s send failed: %s", alert.id, delivery["channel"], type(exc).__name__)
            status, detail = "failed", f"{type(exc).__name__}: {exc}"[:200]
        delivery.update(status=status, detail=detail or "")
        await _record(domain, alert.id, results)
        unrecorded = False
    if unrecorded:
        await _record(domain, alert.id, results)
    return results


async def _record(domain: Domain, alert_id: uuid.UUID, deliveries: list[dict[str, Any]]) -> None:
    """Store the outcomes so far; renew the lease while sends remain, drop it when none do."""
    lease = domain.clock.now() + ALERT_SEND_LEASE if has_pending(deliveries) else None
    async with domain.transaction() as session:
        await session.execute(
            update(ManagerAlert)
            .where(ManagerAlert.id == alert_id)
            .values(deliveries=deliveries, send_lease_until=lease)
        )


async def resend_pending_alerts(domain: Domain, *, limit: int = ALERT_SWEEP_BATCH) -> dict[str, int]:
    """Sweeper: take over the alerts whose sender died (lease lapsed) and send what is still pending.

    Each alert is claimed by renewing its lease in one statement, so two sweepers never both take it.
    """
    now = domain.clock.now()
    lapsed = and_(ManagerAlert.send_lease_until.is_not(None), ManagerAlert.send_lease_until <= now)
    async with domain.transaction() as session:
        claimed = (
            await session.scalars(
                update(ManagerAlert)
                .where(
                    lapsed,
                    ManagerAlert.id.in_(
                        select(ManagerAlert.id)
                        .where(lapsed)
                        .order_by(ManagerAlert.send_lease_until)
                        .limit(limit)
                        .with_for_update(skip_locked=True)
                    ),
                )
                .values(send_lease_until=now + ALERT_SEND_LEASE)
                .returning(ManagerAlert.id)
            )
        ).all()
    for alert_id in claimed:
        log.warning("alert %s: its sender stopped before finishing; sending what is still pending", alert_id)
        await send_alert(domain, alert_id)
    return {"resent": len(claimed)}


async def resend_pending_alerts_task(ctx: dict[str, Any]) -> dict[str, int]:
    """The alert sweeper (arq cron)."""
    return await resend_pending_alerts(ctx["domain"])
