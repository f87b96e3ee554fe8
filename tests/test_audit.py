"""The audit log: one record per PHI access without PHI, append-only, hash-chained, verifiable."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from router.core.models import AuditRecord
from router.privacy.audit import chain_key, seal_pending
from router.privacy.audit_chain import verify_chain
from tests.factories import inquiry, make_practice, signed
from tests.fixtures.signin import login

pytestmark = pytest.mark.integration


async def seed_and_read(client, domain):
    practice = await make_practice(domain, staff={"desk@x.example": {}})
    for n in range(3):
        raw, headers = signed(
            inquiry(first_name=f"Pat{n}", email=f"pat{n}@example.com", phone=None, sms_consent=None),
            practice.secret,
        )
        assert (
            await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
        ).status_code == 201
    await login(client, "desk@x.example")
    leads = (await client.get("/api/leads")).json()["leads"]
    await client.get(f"/api/leads/{leads[0]['id']}")
    return practice, leads


def key(domain) -> bytes:
    return chain_key(domain.settings.security.audit_key)


async def test_every_read_and_write_is_audited_without_phi(client, domain):
    practice, _ = await seed_and_read(client, domain)
    async with domain.sessionmaker() as session:
        records = (await session.scalars(select(AuditRecord).order_by(AuditRecord.id))).all()
    actions = [r.action for r in records]
    assert actions.count("lead.create") == 3
    assert actions.count("lead.read") == 4  # three on the list, one on the detail page
    create = next(r for r in records if r.action == "lead.create")
    assert create.actor_type == "integration" and create.actor_id == f"form:{practice.form_key}"
    assert create.ip == "198.51.100.7"
    read = next(r for r in records if r.action == "lead.read")
    assert read.actor_type == "user" and read.details["via"] in {"list", "detail"}
    blob = repr([(r.details, r.actor_id) for r in records])
    assert "Pat0" not in blob and "pat0@example.com" not in blob


async def test_the_chain_detects_edits_and_deletions(client, domain, runtime):
    await seed_and_read(client, domain)
    assert await seal_pending(domain.sessionmaker, key=key(domain)) > 5
    async with domain.sessionmaker() as session:
        report = await verify_chain(session, key=key(domain))
    assert report.ok and report.unsealed == 0
    # the application cannot edit or delete audit rows
    for statement in ("UPDATE audit_log SET action = 'x' WHERE id = 2", "DELETE FROM audit_log WHERE id = 2"):
        with pytest.raises(Exception, match="audit_log"):
            async with domain.sessionmaker() as session, session.begin():
                await session.execute(text(statement))
    # someone with superuser rights goes around the trigger; verification notices
    async with runtime.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        await connection.execute(text("UPDATE audit_log SET actor_id = 'someone-else' WHERE chain_seq = 3"))
        await connection.execute(text("DELETE FROM audit_log WHERE chain_seq = 5"))
        await connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    async with domain.sessionmaker() as session:
        report = await verify_chain(session, key=key(domain))
    assert not report.ok
    assert any("edited or forged" in p and "seq 3" in p for p in report.problems)
    assert any("missing" in p for p in report.problems)


async def test_sealing_does_not_serialize_intake_and_late_rows_are_chained(client, domain):
    await seed_and_read(client, domain)
    first = await seal_pending(domain.sessionmaker, key=key(domain))
    await client.get("/api/leads")  # more reads after the first seal
    second = await seal_pending(domain.sessionmaker, key=key(domain))
    assert first > 0 and second == 3
    async with domain.sessionmaker() as session:
        assert (await verify_chain(session, key=key(domain))).ok
