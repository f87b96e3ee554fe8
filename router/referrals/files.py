"""A referral's file, opened for someone allowed to see it: its referrer, or staff who may see its lead."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Lead, Referral, ReferralAttachment
from router.core.phi_columns import REFERRAL_FILE, REFERRAL_FILE_NAME
from router.privacy import audit
from router.privacy.access import REFERRER_ROLES, Viewer


@dataclass(frozen=True)
class OpenedFile:
    file_name: str
    media_type: str
    content: bytes


async def open_referral_file(
    session: AsyncSession, domain: Domain, viewer: Viewer, file_id: uuid.UUID, *, actor: audit.Actor
) -> OpenedFile | None:
    """The file's name and bytes, or None when it does not exist or is not the viewer's to see."""
    attachment = await session.get(ReferralAttachment, file_id)
    if attachment is None:
        return None
    if viewer.role in REFERRER_ROLES:
        referral = await session.scalar(
            select(Referral).where(Referral.id == attachment.referral_id, viewer.referral_filter())
        )
    else:
        referral = await session.get(Referral, attachment.referral_id)
        lead = await session.get(Lead, referral.lead_id) if referral and referral.lead_id else None
        if lead is None or not viewer.may_see(lead):
            referral = None
    if referral is None:
        return None
    audit.record(
        session,
        actor=actor,
        action="referral.file_read",
        practice_id=referral.practice_id,
        lead_id=referral.lead_id,
        details={"referral_id": str(referral.id), "file_id": str(file_id)},
    )
    cipher = domain.cipher
    return OpenedFile(
        file_name=cipher.open(attachment.file_name_enc, column=REFERRAL_FILE_NAME, row_id=attachment.id)
        or "",
        media_type=attachment.media_type,
        content=cipher.open_bytes(attachment.content_enc, column=REFERRAL_FILE, row_id=attachment.id) or b"",
    )
