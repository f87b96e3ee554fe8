"""The web forms screen: a practice's form sources, a new one, a new secret, and a test inquiry.

A secret is shown once, right after it is made (it is stored encrypted and never shown again).
Rotating keeps the previous secret valid for `ROTATION_OVERLAP` (24 hours) so the website can be
updated without losing an inquiry. The test inquiry goes through the same intake as a real one
(normalise, match, score, assign, store, announce) under the form's own settings, so it shows up on
the board like a patient's would, marked as a test; it does not go through the signature check,
which only the sender can exercise (its deliveries list shows a bad signature as refused).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from router.core.domain import Domain
from router.core.errors import LeadNotFound
from router.core.form_values import FormReader
from router.core.models import FormDelivery, FormSource, FormSourceSecret
from router.intake.form_deliveries import record_delivery
from router.intake.form_sources import ROTATION_OVERLAP, create_form_source, rotate_secret
from router.intake.pipeline import InquiryCommand, announce_intake, store_inquiry
from router.practices.webhook_sources import new_source_key, office_names, read_default_office
from router.privacy import audit
from router.privacy.access import Viewer, require

TEST_FIRST_NAME = "Test"
TEST_LAST_NAME = "Inquiry"


@dataclass(frozen=True)
class FormRow:
    source: FormSource
    webhook_url: str
    default_office: str | None
    secrets: int
    """Secrets valid now: 2 while a rotation's overlap lasts."""
    old_secret_until: datetime | None
    last_delivery: datetime | None


def _source_of(viewer: Viewer, source: FormSource | None) -> FormSource:
    require(viewer, "practice.administer")
    if source is None or source.practice_id != viewer.practice_id:
        raise LeadNotFound("No such web form.")
    return source


def webhook_url(domain: Domain, key: str) -> str:
    return f"{domain.settings.intake.public_url.rstrip('/')}/webhooks/forms/{key}"


async def list_forms(domain: Domain, viewer: Viewer) -> list[FormRow]:
    require(viewer, "practice.administer")
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        sources = (
            await session.scalars(
                select(FormSource)
                .where(FormSource.practice_id == viewer.practice_id)
                .order_by(FormSource.name)
            )
        ).all()
        offices = await office_names(session, viewer.practice_id)
        rows = []
        for source in sources:
            valid = (
                await session.scalars(
                    select(FormSourceSecret.expires_at).where(
                        FormSourceSecret.form_source_id == source.id,
                        or_(FormSourceSecret.expires_at.is_(None), FormSourceSecret.expires_at > now),
                    )
                )
            ).all()
            last = await session.scalar(
                select(func.max(FormDelivery.received_at)).where(FormDelivery.form_source_id == source.id)
            )
            expiring = [at for at in valid if at is not None]
            rows.append(
                FormRow(
                    source,
                    webhook_url(domain, source.key),
                    offices.get(source.default_location_id) if source.default_location_id else None,
                    len(valid),
                    max(expiring) if expiring else None,
                    last,
                )
            )
    return rows


async def load_form(domain: Domain, viewer: Viewer, source_id: uuid.UUID) -> FormRow:
    for row in await list_forms(domain, viewer):
        if row.source.id == source_id:
            return row
    raise LeadNotFound("No such web form.")


async def add_form(
    domain: Domain, viewer: Viewer, form: Mapping[str, Any], *, actor: audit.Actor
) -> tuple[uuid.UUID, str]:
    """A new form source; returns its id and its signing secret (shown once)."""
    require(viewer, "practice.administer")
    read = FormReader(form)
    name = read.text("name", label="The form's name", required=True)
    async with domain.transaction() as session:
        default = await read_default_office(session, read, viewer.practice_id)
        read.done()
        assert name is not None
        key = new_source_key(name, fallback="form")
        assert viewer.practice_id is not None
        source, secret = await create_form_source(
            session, domain, practice_id=viewer.practice_id, key=key, name=name, default_location_id=default
        )
        audit.record(
            session,
            actor=actor,
            action="form_source.created",
            practice_id=viewer.practice_id,
            details={"form_source_id": str(source.id), "key": key},
        )
    return source.id, secret


async def new_secret(domain: Domain, viewer: Viewer, source_id: uuid.UUID, *, actor: audit.Actor) -> str:
    """Rotate the form's secret: the new one is returned (shown once), the old one lasts 24 hours."""
    async with domain.transaction() as session:
        source = _source_of(viewer, await session.get(FormSource, source_id))
        secret = await rotate_secret(session, domain, key=source.key)
        audit.record(
            session,
            actor=actor,
            action="form_source.secret_rotated",
            practice_id=source.practice_id,
            details={
                "form_source_id": str(source.id),
                "overlap_hours": ROTATION_OVERLAP.total_seconds() / 3600,
            },
        )
    domain.forget_practice(source.practice_id)
    return secret


async def send_test_inquiry(
    domain: Domain, viewer: Viewer, source_id: uuid.UUID, *, actor: audit.Actor
) -> uuid.UUID:
    """Take in a made-up inquiry as if the form had sent it; returns the lead it became."""
    async with domain.sessionmaker() as session:
        source = _source_of(viewer, await session.get(FormSource, source_id))
    now = domain.clock.now()
    marker = uuid.uuid4().hex[:10]
    fields = {
        "first_name": TEST_FIRST_NAME,
        "last_name": TEST_LAST_NAME,
        "email": f"test-inquiry-{marker}@example.com",
        "message": f"A test inquiry sent from the Web forms page by {viewer.display_name}. Close it as spam.",
    }
    command = InquiryCommand(
        practice_id=source.practice_id,
        source_kind="form",
        fields=fields,
        received_at=now,
        actor=actor,
        idempotency_scope=f"form-test:{source.key}",
        idempotency_key=marker,
        request_sha256=hashlib.sha256(marker.encode()).digest(),
        form_source_id=source.id,
        default_location_id=source.default_location_id,
        details={"test_inquiry": True},
    )
    result = await store_inquiry(domain, command)
    await announce_intake(domain, source.practice_id, result)
    await record_delivery(
        domain,
        form_source_id=source.id,
        received_at=now,
        status_code=result.status_code,
        outcome="test",
        reason=f"sent from this page by {viewer.display_name}",
        lead_id=result.lead_id,
    )
    assert result.lead_id is not None
    return result.lead_id
