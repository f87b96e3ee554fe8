"""The demo's follow-up: ready-made sequences installed, approved by the manager and switched on."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from leadrouter.demo import DEMO_PASSWORD, seed_demo
from router.core.models import (
    AuditRecord,
    NurtureSequence,
    NurtureSettings,
    NurtureTemplate,
    NurtureTemplateVersion,
    Practice,
)
from tests.factories import sign_in

pytestmark = pytest.mark.integration


async def _practice_id(domain, slug):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return await session.scalar(select(Practice.id).where(Practice.slug == slug))


async def test_the_demo_practices_have_their_sequences_approved_and_on(client, domain):
    await seed_demo(domain)
    practice_id = await _practice_id(domain, "bright-smile")
    async with domain.sessionmaker() as session:
        sequences = (
            await session.scalars(select(NurtureSequence).where(NurtureSequence.practice_id == practice_id))
        ).all()
        templates = (
            await session.scalars(select(NurtureTemplate).where(NurtureTemplate.practice_id == practice_id))
        ).all()
        drafts = await session.scalar(
            select(func.count())
            .select_from(NurtureTemplateVersion)
            .join(NurtureTemplate, NurtureTemplate.id == NurtureTemplateVersion.template_id)
            .where(NurtureTemplate.practice_id == practice_id, NurtureTemplateVersion.status == "draft")
        )
        settings = await session.get(NurtureSettings, practice_id)
        approvals = await session.scalar(
            select(func.count()).where(
                AuditRecord.action == "nurture.template_approve", AuditRecord.practice_id == practice_id
            )
        )
    assert len(sequences) == 6 and all(s.active for s in sequences)
    assert templates and all(t.approved_version_id is not None for t in templates) and drafts == 0
    assert approvals == len([t for t in templates if t.channel != "staff"])  # alerts ship approved
    assert (
        settings.scheduling_url == "https://www.brightsmile.example.com/book"
        and settings.call_task_score == 80
    )

    await sign_in(client, domain, "maya.manager@brightsmile.example", DEMO_PASSWORD)
    page = await client.get("/nurture", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Orthodontics" in page.text and "nothing approved" not in page.text


async def test_seeding_again_leaves_the_practice_s_own_choices_alone(domain):
    await seed_demo(domain)
    practice_id = await _practice_id(domain, "bright-smile")
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(NurtureSequence).where(NurtureSequence.practice_id == practice_id).values(active=False)
        )
        before = await session.scalar(select(func.count()).select_from(NurtureTemplateVersion))
    await seed_demo(domain)
    async with domain.sessionmaker() as session:
        active = await session.scalar(
            select(func.count()).where(NurtureSequence.practice_id == practice_id, NurtureSequence.active)
        )
        after = await session.scalar(select(func.count()).select_from(NurtureTemplateVersion))
    assert active == 0 and after == before
