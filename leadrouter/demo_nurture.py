"""Demo follow-up: each demo practice gets the ready-made sequences, approved and switched on.

Done through the product's own actions, as the practice's people would: the practice admin saves
the follow-up settings (which installs the ready-made wording as drafts), the manager approves each
draft (nobody approves their own: the ready-made wording has no author among them), and the manager
switches the sequences on. Each step is audited like any other. Seeded once: a practice that already
has follow-up wording is left as its people left it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from router.core.domain import Domain
from router.core.models import (
    NurtureSequence,
    NurtureTemplate,
    NurtureTemplateVersion,
    Practice,
    StaffUser,
)
from router.nurture.practice_settings import save_settings
from router.nurture.sequences import set_active
from router.nurture.templates import approve
from router.privacy import audit
from router.privacy.access import Viewer, load_viewer

DEMO_ACTOR = audit.Actor.system("demo")
CALL_TASK_SCORE = "80"
"""Demo leads scoring 80 or more get a staff call instead of automated messages (the board shows it)."""


async def seed_demo_nurture(domain: Domain, practice_slugs: list[str]) -> int:
    """Set up follow-up for the demo practices that have none yet; returns how many were set up."""
    done = 0
    for slug in practice_slugs:
        viewers = await _viewers(domain, slug)
        if viewers is None:
            continue
        manager, admin, practice = viewers
        await save_settings(domain, admin, _settings_form(practice), actor=DEMO_ACTOR)
        async with domain.sessionmaker() as session:
            drafts = (
                await session.scalars(
                    select(NurtureTemplateVersion.id)
                    .join(NurtureTemplate, NurtureTemplate.id == NurtureTemplateVersion.template_id)
                    .where(
                        NurtureTemplate.practice_id == practice.id, NurtureTemplateVersion.status == "draft"
                    )
                )
            ).all()
            sequences = (
                await session.scalars(
                    select(NurtureSequence.id).where(NurtureSequence.practice_id == practice.id)
                )
            ).all()
        for version_id in drafts:
            await approve(domain, manager, version_id, actor=DEMO_ACTOR)
        for sequence_id in sequences:
            await set_active(domain, manager, sequence_id, True, actor=DEMO_ACTOR)
        done += 1
    return done


async def _viewers(domain: Domain, slug: str) -> tuple[Viewer, Viewer, Practice] | None:
    """The practice's manager and admin, when its follow-up has not been set up yet."""
    async with domain.sessionmaker() as session:
        practice = await session.scalar(select(Practice).where(Practice.slug == slug))
        if practice is None or await _has_wording(session, practice.id):
            return None
        people = {
            user.role: user
            for user in await session.scalars(
                select(StaffUser)
                .where(
                    StaffUser.practice_id == practice.id, StaffUser.role.in_(("manager", "practice_admin"))
                )
                .order_by(StaffUser.email)
            )
        }
        if "manager" not in people or "practice_admin" not in people:
            return None
        return (
            await load_viewer(session, people["manager"]),
            await load_viewer(session, people["practice_admin"]),
            practice,
        )


async def _has_wording(session, practice_id: uuid.UUID) -> bool:  # type: ignore[no-untyped-def]
    found = await session.scalar(select(NurtureTemplate.id).where(NurtureTemplate.practice_id == practice_id))
    return found is not None


def _settings_form(practice: Practice) -> dict[str, str]:
    site = practice.slug.replace("-", "")
    return {
        "sender_name": practice.name,
        "sender_email": f"hello@{site}.example.com",
        "reply_to": f"frontdesk@{site}.example.com",
        "scheduling_url": f"https://www.{site}.example.com/book",
        "call_task_score": CALL_TASK_SCORE,
    }
