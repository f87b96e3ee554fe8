"""Form sources and their signing secrets (Standard Webhooks `whsec_` secrets, encrypted at rest)."""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import FormSource, FormSourceSecret
from router.core.phi_columns import FORM_SOURCE_SECRET

ROTATION_OVERLAP = timedelta(hours=24)
"""How long the previous secret stays valid after a rotation: a day lets every sender redeploy."""
_SECRET_BYTES = 32


@dataclass(frozen=True)
class FormSourceView:
    """What the webhook needs to verify and route a delivery."""

    id: uuid.UUID
    key: str
    practice_id: uuid.UUID
    default_location_id: uuid.UUID | None
    secrets: tuple[str, ...]
    """Every currently valid `whsec_...` secret, newest first."""


def new_secret() -> str:
    """A fresh Standard Webhooks secret (`whsec_` + base64 of 32 random bytes)."""
    return "whsec_" + base64.b64encode(os.urandom(_SECRET_BYTES)).decode()


async def create_form_source(
    session: AsyncSession,
    domain: Domain,
    *,
    practice_id: uuid.UUID,
    key: str,
    name: str,
    default_location_id: uuid.UUID | None = None,
    secret: str | None = None,
) -> tuple[FormSource, str]:
    """Register a form source; returns it with its signing secret (shown once, stored encrypted)."""
    source = FormSource(
        id=uuid.uuid4(), practice_id=practice_id, key=key, name=name, default_location_id=default_location_id
    )
    session.add(source)
    secret = secret or new_secret()
    secret_id = uuid.uuid4()
    session.add(
        FormSourceSecret(
            id=secret_id,
            form_source_id=source.id,
            secret_encrypted=domain.cipher.seal(secret, column=FORM_SOURCE_SECRET, row_id=secret_id),
            created_at=domain.clock.now(),
        )
    )
    return source, secret


async def rotate_secret(
    session: AsyncSession, domain: Domain, *, key: str, overlap: timedelta = ROTATION_OVERLAP
) -> str:
    """A new secret for the source; the old ones stay valid for `overlap`, then expire."""
    source = await session.scalar(select(FormSource).where(FormSource.key == key))
    if source is None:
        raise LookupError(f"no form source {key!r}")
    now = domain.clock.now()
    for old in (
        await session.scalars(
            select(FormSourceSecret).where(
                FormSourceSecret.form_source_id == source.id,
                or_(FormSourceSecret.expires_at.is_(None), FormSourceSecret.expires_at > now + overlap),
            )
        )
    ).all():
        old.expires_at = now + overlap
    secret = new_secret()
    domain.lookups.drop(("form_source", key))
    secret_id = uuid.uuid4()
    session.add(
        FormSourceSecret(
            id=secret_id,
            form_source_id=source.id,
            created_at=now,
            secret_encrypted=domain.cipher.seal(secret, column=FORM_SOURCE_SECRET, row_id=secret_id),
        )
    )
    return secret


async def load_form_source(domain: Domain, key: str, *, now: datetime) -> FormSourceView | None:
    """The source and its valid secrets, or None when no such source exists (cached for seconds)."""
    cached = domain.lookups.get(("form_source", key))
    if isinstance(cached, FormSourceView):
        return cached
    async with domain.sessionmaker() as session:
        source = await session.scalar(select(FormSource).where(FormSource.key == key))
        if source is None:
            return None
        secrets = (
            await session.scalars(
                select(FormSourceSecret)
                .where(
                    FormSourceSecret.form_source_id == source.id,
                    or_(FormSourceSecret.expires_at.is_(None), FormSourceSecret.expires_at > now),
                )
                .order_by(FormSourceSecret.created_at.desc())
            )
        ).all()
        view = FormSourceView(
            id=source.id,
            key=source.key,
            practice_id=source.practice_id,
            default_location_id=source.default_location_id,
            secrets=tuple(
                domain.cipher.open(s.secret_encrypted, column=FORM_SOURCE_SECRET, row_id=s.id) or ""
                for s in secrets
            ),
        )
        domain.lookups.put(("form_source", key), view)
        return view
