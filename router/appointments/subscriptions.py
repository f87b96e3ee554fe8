"""Changes as they happen: FHIR rest-hook subscriptions, with polling as the fallback.

After a successful sync, a practice whose PMS has not been asked yet (or was asked more than a day
ago and offered nothing) is asked for Subscriptions to patient and appointment changes, calling
`/webhooks/pms/{practice_id}` with a bearer token made for it (only its hash is kept here). A
notification with that token queues an immediate sync of that practice; the notification itself
carries nothing and nothing is believed from it. Polling every few minutes stays: a PMS that never
calls back, or loses its subscriptions, is still read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select

from router.core.domain import Domain
from router.core.models import PmsConnection
from router.core.pms_ports import PmsClient, PmsRefused, PmsUnavailable

ASK_AGAIN_AFTER = timedelta(days=1)
"""A PMS that offered no subscriptions is asked again daily: an upgrade may add them."""
NOTIFY_PATH = "/webhooks/pms/{practice_id}"
POLLING_NOTE = "The practice-management system does not offer subscriptions."


def notify_endpoint(domain: Domain, practice_id: uuid.UUID) -> str:
    return domain.settings.intake.public_url.rstrip("/") + NOTIFY_PATH.format(practice_id=practice_id)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def ensure_subscription(domain: Domain, client: PmsClient, practice_id: uuid.UUID) -> None:
    """Ask the PMS for subscriptions unless it has them or was asked within a day; never raises for
    the PMS's sake (an unreachable PMS is asked at the next run)."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        connection = await session.get(PmsConnection, practice_id)
        if connection is None or connection.kind != "fhir" or connection.subscription_ids:
            return
        checked = connection.subscription_checked_at
        if checked is not None and now - checked < ASK_AGAIN_AFTER:
            return
    token = secrets.token_urlsafe(32)
    try:
        ids = await client.subscribe(endpoint=notify_endpoint(domain, practice_id), token=token)
        note = None if ids else POLLING_NOTE
    except PmsRefused as exc:
        ids, note = None, f"The practice-management system refused the subscription: {exc}"
    except PmsUnavailable:
        return
    async with domain.sessionmaker() as session, session.begin():
        connection = await session.get(PmsConnection, practice_id, with_for_update=True)
        if connection is None:
            return
        connection.subscription_checked_at = now
        connection.subscription_ids = list(ids or [])
        connection.notify_token_sha256 = _digest(token) if ids else None
        connection.subscription_note = note


def bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def take_notification(domain: Domain, practice_id: uuid.UUID, authorization: str | None) -> bool:
    """A PMS notification for this practice: queue its sync when the bearer token is the one its
    subscriptions were given (False, nothing queued, otherwise)."""
    token = bearer(authorization)
    if token is None:
        return False
    async with domain.sessionmaker() as session:
        expected = await session.scalar(
            select(PmsConnection.notify_token_sha256).where(
                PmsConnection.practice_id == practice_id, PmsConnection.kind == "fhir"
            )
        )
    if expected is None or not hmac.compare_digest(_digest(token), expected):
        return False
    await domain.jobs.schedule_pms_sync(practice_id, at=domain.clock.now())
    return True
