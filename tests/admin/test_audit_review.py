"""Audit review: filters, one patient's access report, CSV, the chain check, and reading it audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text, update

from router.core.models import AuditRecord, Lead
from router.core.phi_columns import LEAD_PHONE
from router.privacy.audit import chain_key, seal_pending
from tests.admin.conftest import sign_in
from tests.board.helpers import new_lead

pytestmark = pytest.mark.integration


async def test_the_access_report_lists_who_viewed_a_patients_lead_and_is_itself_recorded(
    client, domain, practices
):
    bright = practices.bright
    lead_id = await new_lead(domain, bright, location="downtown")
    async with domain.sessionmaker() as session:
        phone = domain.cipher.open(
            (await session.get(Lead, lead_id)).phone_enc, column=LEAD_PHONE, row_id=lead_id
        )
    await sign_in(client, domain, practices.user("ana@bright.example"))
    assert (await client.get(f"/leads/{lead_id}")).status_code == 200  # Ana opens the lead
    await sign_in(client, domain, practices.user("maya@bright.example"))
    found = await client.get("/admin/audit/patients", params={"phone": phone})
    assert f'href="/admin/audit/leads/{lead_id}"' in found.text
    report = await client.get(f"/admin/audit/leads/{lead_id}")
    assert report.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", report.text, re.S)[1:]
    whats = [re.findall(r"<td>(.*?)</td>", row, re.S)[1:3] for row in rows]
    assert ["web form test", "lead created"] in [[w.strip(), x.strip()] for w, x in whats]
    assert ["Ana Ruiz", "viewed the lead"] in [[w.strip(), x.strip()] for w, x in whats]
    async with domain.sessionmaker() as session:
        reviews = (
            await session.scalars(select(AuditRecord.action).where(AuditRecord.action.like("audit.%")))
        ).all()
    assert "audit.access_report" in reviews and "audit.reviewed" in reviews


async def test_filters_narrow_by_person_action_and_office_and_csv_exports_them(client, domain, practices):
    bright = practices.bright
    lakeway = bright.locations["lakeway"]
    near = await new_lead(domain, bright, location="downtown")
    far = await new_lead(domain, bright, location="lakeway")
    await sign_in(client, domain, practices.user("admin@bright.example"))
    await client.get(f"/leads/{near}")
    await client.get(f"/leads/{far}")
    admin_id = practices.user("admin@bright.example").id
    page = await client.get(
        "/admin/audit", params={"user": str(admin_id), "action": "lead.read", "location": str(lakeway.id)}
    )
    assert page.status_code == 200
    assert f"/admin/audit/leads/{far}" in page.text and f"/admin/audit/leads/{near}" not in page.text
    bad = await client.get("/admin/audit", params={"lead": "not-a-lead", "since": "yesterday"})
    assert "That is not a lead&#39;s id" in bad.text and "Enter a date like 2026-03-04." in bad.text
    csv = await client.get("/admin/audit/export.csv", params={"action": "lead.read"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("record,when,who,what") and len(lines) == 3
    assert all("Pat Admin,viewed the lead,lead.read" in line for line in lines[1:])


async def test_a_manager_sees_records_of_their_offices_only_and_never_another_practice(
    client, domain, practices
):
    bright = practices.bright
    far = await new_lead(domain, bright, location="lakeway")
    foreign = await new_lead(domain, practices.other)
    await sign_in(client, domain, practices.user("maya@bright.example"))
    page = await client.get("/admin/audit")
    assert str(far) not in page.text and str(foreign) not in page.text
    report = await client.get(f"/admin/audit/leads/{foreign}")
    assert "No records" in report.text and "lead created" not in report.text
    await sign_in(client, domain, practices.user("ana@bright.example"))
    assert (await client.get("/admin/audit")).status_code == 403
    assert (await client.get("/admin/audit/export.csv")).status_code == 403


async def test_the_integrity_check_reports_an_edited_record(client, domain, practices):
    await new_lead(domain, practices.bright)
    await seal_pending(domain.sessionmaker, key=chain_key(domain.settings.security.audit_key))
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    intact = await client.post("/admin/audit/verify", headers=csrf)
    assert "The log is intact." in intact.text
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        await session.execute(
            update(AuditRecord).where(AuditRecord.chain_seq == 1).values(action="lead.tampered")
        )
        await session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    broken = await client.post("/admin/audit/verify", headers=csrf)
    assert "The check found problems" in broken.text and "was edited" in broken.text
