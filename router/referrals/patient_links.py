"""A patient's referral link: a short code an existing patient shares; visits and inquiries that carry
it are patient referrals, and the code names whom to thank.

The link is the practice's website (its first tracking site's origin) with `?lr_ref=CODE`; the
tracking script records the code with the visit and fills it into the site's forms, so the inquiry
arrives as a "patient_referral" with the code on its touchpoint. One code per patient, made on demand.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import LeadNotFound, NotPermitted
from router.core.models import Lead, PatientReferralCode, Touchpoint, TrackingSite
from router.privacy import audit
from router.privacy.access import Viewer, may_do

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Letters and digits that cannot be misread for each other (no O/0, I/1/L): a code may be read aloud."""
CODE_LENGTH = 8
"""32^8 ≈ 10^12 codes: guessing one that exists is hopeless, and a person can still type it."""


@dataclass(frozen=True)
class PatientLink:
    lead_id: uuid.UUID
    code: str | None
    url: str | None
    """None while the practice has no tracking site (the code is then given by hand)."""
    referred: int
    """Inquiries that arrived with this code so far."""
    may_create: bool


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def _lead(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID) -> Lead:
    lead = await session.get(Lead, lead_id)
    if lead is None or not viewer.may_see(lead):
        raise LeadNotFound("That lead is not in your scope, or it does not exist.")
    return lead


async def referral_link(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID) -> PatientLink:
    """The lead's referral link (its code may not exist yet)."""
    lead = await _lead(session, viewer, lead_id)
    code = await session.scalar(
        select(PatientReferralCode.code).where(PatientReferralCode.lead_id == lead_id)
    )
    origins = await session.scalar(
        select(TrackingSite.origins)
        .where(TrackingSite.practice_id == lead.practice_id)
        .order_by(TrackingSite.created_at)
        .limit(1)
    )
    referred = 0
    if code:
        referred = len(
            (
                await session.scalars(
                    select(Touchpoint.id).where(
                        Touchpoint.practice_id == lead.practice_id,
                        Touchpoint.lead_id.is_not(None),
                        Touchpoint.details["referral_code"].astext == code,
                    )
                )
            ).all()
        )
    url = f"{origins[0].rstrip('/')}/?lr_ref={code}" if code and origins else None
    return PatientLink(lead_id, code, url, referred, may_do(viewer, "lead.referral_link", lead))


async def make_referral_link(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor
) -> PatientLink:
    """The lead's code, made now if it has none (once: a second request returns the same code)."""
    async with domain.sessionmaker() as session, session.begin():
        lead = await _lead(session, viewer, lead_id)
        if not may_do(viewer, "lead.referral_link", lead):
            raise NotPermitted("You cannot make referral links for this lead.")
        for _ in range(5):  # a collision of random codes is rare; five in a row would be a broken RNG
            made = await session.scalar(
                insert(PatientReferralCode)
                .values(
                    code=new_code(),
                    practice_id=lead.practice_id,
                    lead_id=lead.id,
                    created_by_user_id=viewer.user_id,
                    created_at=domain.clock.now(),
                )
                .on_conflict_do_nothing()
                .returning(PatientReferralCode.code)
            )
            existing = await session.scalar(
                select(PatientReferralCode.code).where(PatientReferralCode.lead_id == lead.id)
            )
            if made or existing:
                break
        audit.record(
            session, actor=actor, action="lead.referral_link", practice_id=lead.practice_id, lead_id=lead.id
        )
    async with domain.sessionmaker() as session:
        return await referral_link(session, viewer, lead_id)
