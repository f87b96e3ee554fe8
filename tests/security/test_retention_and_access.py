"""Records a practice keeps and gives: retention purges PHI, keeps figures; a patient's export."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from leadrouter.cli import cli
from router.core.models import AuditRecord, ConsentRecord, Lead, Touchpoint
from router.leads.access_request import export_person
from router.leads.retention import purge_expired_phi
from router.privacy import audit
from router.privacy.audit_chain import verify_chain
from tests.factories import csrf_of, inquiry, make_practice, sign_in, signed, viewer_of

pytestmark = pytest.mark.integration
STAFF = {"desk@x.example": {}, "boss@x.example": {"role": "manager"}}


async def deliver(client, practice, **fields):  # type: ignore[no-untyped-def]
    raw, headers = signed(inquiry(**fields), practice.secret)
    answer = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    assert answer.status_code == 201
    return answer.json()["lead_id"]


async def close(domain, lead_id, reason, days_ago):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "UPDATE leads SET status = 'closed', close_reason = :r,"
                " closed_at = now() - make_interval(days => :d) WHERE id = :id"
            ),
            {"r": reason, "d": days_ago, "id": lead_id},
        )


async def test_retention_purges_phi_after_the_period_keeps_figures_and_the_chain_verifies(client, domain):
    practice = await make_practice(
        domain, staff=STAFF, settings={"retention_days": 365, "junk_retention_days": 30}
    )
    old = await deliver(client, practice, first_name="Olga", email="olga@example.com", phone="(512) 555-0101")
    spam = await deliver(
        client, practice, first_name="Spam", email="spam@example.com", phone="(512) 555-0102"
    )
    recent = await deliver(
        client, practice, first_name="Rita", email="rita@example.com", phone="(512) 555-0103"
    )
    await close(domain, old, "not_interested", 400)
    await close(domain, spam, "spam", 40)
    await close(domain, recent, "not_interested", 40)  # closed, but within the year
    key = audit.chain_key(domain.settings.security.audit_key)
    await audit.seal_pending(domain.sessionmaker, key=key)

    report = await purge_expired_phi(domain)
    assert report.total == 2
    async with domain.sessionmaker() as session:
        leads = {lead.id: lead for lead in (await session.scalars(select(Lead))).all()}
        touchpoints = (
            await session.scalars(
                select(Touchpoint).where(Touchpoint.lead_id == leads[__import__("uuid").UUID(old)].id)
            )
        ).all()
        consents = (await session.scalars(select(ConsentRecord))).all()
        purged_rows = (
            await session.scalars(select(AuditRecord).where(AuditRecord.action == "lead.phi_purged"))
        ).all()
    gone = leads[uuid.UUID(old)]
    assert gone.first_name_enc is None and gone.email_enc is None and gone.phone_index is None
    assert gone.zip == "787" and gone.phi_purged_at is not None
    assert (gone.source_channel, gone.close_reason, gone.stage) == ("google_ads", "not_interested", "lead")
    assert all(t.message_enc is None for t in touchpoints)
    assert leads[uuid.UUID(recent)].first_name_enc is not None
    assert leads[uuid.UUID(spam)].first_name_enc is None
    assert len([c for c in consents if c.ip_enc is None]) == 2 and len(consents) == 3  # evidence kept
    assert {row.lead_id for row in purged_rows} == {uuid.UUID(old), uuid.UUID(spam)}
    assert (await purge_expired_phi(domain)).total == 0  # nothing twice
    await audit.seal_pending(domain.sessionmaker, key=key)
    async with domain.sessionmaker() as session:
        assert (await verify_chain(session, key=key)).ok


async def test_a_manager_exports_everything_about_one_patient_audited(client, domain):
    practice = await make_practice(domain, staff=STAFF)
    first = await deliver(client, practice, first_name="Pia", email="pia@example.com", phone="(512) 555-0111")
    await deliver(client, practice, first_name="Other", email="other@example.com", phone="(512) 555-0112")
    await sign_in(client, domain, "desk@x.example")
    await client.get(f"/api/leads/{first}")  # a read that the export's access log must show
    assert (await client.get("/patients/export")).status_code == 403
    client.cookies.clear()
    await sign_in(client, domain, "boss@x.example")
    form = await client.get("/patients/export")
    assert form.status_code == 200 and "Access requests" in form.text
    token = await csrf_of(client)
    bad = await client.post("/patients/export", data={"email": "not-an-email", "_csrf_token": token})
    assert bad.status_code == 422
    answer = await client.post("/patients/export", data={"email": "PIA@example.com", "_csrf_token": token})
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    export = answer.json()
    [lead] = export["leads"]
    assert lead["lead_id"] == first and lead["first_name"] == "Pia" and lead["phone"] == "+15125550111"
    assert lead["inquiries"][0]["message"].startswith("Do you take Delta Dental")
    assert lead["consents"][0]["granted"] is True and lead["consents"][0]["ip"] == "203.0.113.9"
    assert any(entry["action"] == "lead.read" and entry["who"] == "Desk" for entry in lead["access_log"])
    assert "Other" not in answer.text
    async with domain.sessionmaker() as session:
        exported = (
            await session.scalars(select(AuditRecord).where(AuditRecord.action == "patient.exported"))
        ).all()
    assert [row.details["lead_ids"] for row in exported] == [[first]]


async def test_front_desk_cannot_export_and_the_cli_exports_as_a_manager(client, domain, tmp_path):
    practice = await make_practice(domain, staff=STAFF)
    await deliver(client, practice, first_name="Pia", email="pia@example.com", phone="(512) 555-0111")
    from router.core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        await export_person(
            domain,
            await viewer_of(domain, practice.staff["desk@x.example"]),
            phone="5125550111",
            actor=audit.Actor.system("test"),
        )
    out = tmp_path / "export.json"
    arguments = ["patient", "export", "--as", "boss@x.example", "--phone", "512-555-0111", "--out", str(out)]
    result = await asyncio.to_thread(CliRunner().invoke, cli, arguments)  # the CLI runs its own loop
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["leads"][0]["first_name"] == "Pia"
