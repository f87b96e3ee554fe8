"""The pooled model's scores marked provisional on the board and the lead page; the history upload screen."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile

import pytest
from sqlalchemy import select

from leadrouter.model_training import store
from router.core.models import ModelVersion
from router.privacy import audit
from router.scores import promotion, registry
from simulator.foreign_export import COLUMNS, PRACTICE_MAP, foreign_export
from tests.factories import csrf_of, inquiry, make_practice, signed
from tests.fixtures.signin import login

pytestmark = pytest.mark.integration

STAFF = {"manager@bright.example": {"role": "manager"}, "desk@bright.example": {}}


async def _pooled(domain, result) -> str:  # type: ignore[no-untyped-def]
    version = await store(domain, result, practice_id=None, source="the product's practice simulator (test)")
    await promotion.promote_and_announce(domain, version, actor=audit.Actor.system("test"))
    return version


async def _switch_user(client, email: str) -> None:  # type: ignore[no-untyped-def]
    if client.cookies.get("lr_session"):
        await client.post("/logout", headers={"x-csrftoken": await csrf_of(client)})
    await login(client, email)


async def test_a_pooled_score_is_provisional_on_the_board_and_the_lead_page(
    client, domain, served, champion_result
):
    practice = await make_practice(domain, staff=STAFF)
    await _pooled(domain, champion_result)
    await served.refresh()
    raw, headers = signed(inquiry(), practice.secret)
    lead_id = (
        await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    ).json()["lead_id"]
    await _switch_user(client, "desk@bright.example")
    board = await client.get("/")
    row = board.text[board.text.index(f'id="lead-{lead_id}"') :]
    assert '<span class="pooled" title="Provisional: the starter model' in row[: row.index("</li>")]
    assert ">provisional</span>" in row
    await _switch_user(client, "manager@bright.example")
    page = await client.get(f"/leads/{lead_id}")
    assert page.status_code == 200
    assert "Provisional: the starter model learned from simulated practices" in page.text
    assert "you have 0" in page.text and "from 1,500 a model of your own replaces it" in page.text
    models = await client.get("/models")
    assert "provisional" in models.text and "Import your lead history" in models.text


def _export_csv(rows: int = 2400) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(foreign_export(rows, seed=4).rows)
    return buffer.getvalue().encode("utf-8")


async def _upload(client, content: bytes, name: str = "crm.csv", *, htmx: bool = True, **fields: str):  # type: ignore[no-untyped-def]
    headers = {"x-csrftoken": await csrf_of(client)}
    if htmx:
        headers["hx-request"] = "true"
    return await client.post(
        "/models/history",
        files={"history": (name, content, "text/csv")},
        data={"step": "check", "mapping": "", **fields},
        headers=headers,
    )


async def _versions(domain) -> list[str]:  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return list((await session.scalars(select(ModelVersion.version))).all())


@pytest.mark.slow
async def test_history_upload_shows_the_report_before_storing_anything(client, domain):
    await make_practice(domain, staff=STAFF)
    await _switch_user(client, "manager@bright.example")
    content = _export_csv()
    checked = await _upload(client, content)
    assert checked.status_code == 200
    text = checked.text
    assert "This file would be refused as it is" in text and "crm.csv: 2,400 rows" in text
    assert (
        "did you mean physician_referral" in text
        and "<code>channel: Referral = physician_referral</code>" in text
    )
    assert "without a time of day (their time of day is left missing)" in text
    assert await _versions(domain) == []
    refused = await _upload(client, content, step="train")
    assert "Not imported: nothing was stored" in refused.text and "Train anyway" in refused.text
    assert await _versions(domain) == []
    trained = await _upload(client, content, step="train", mapping=PRACTICE_MAP)
    assert "Trained and stored" in trained.text and "as a candidate" in trained.text
    (version,) = await _versions(domain)
    async with domain.sessionmaker() as session:
        row = await registry.get_version(session, version)
    assert row.status == "candidate" and row.card["source"] == "practice file crm.csv"


async def test_history_upload_refuses_what_it_cannot_read_beside_the_field(client, domain):
    await make_practice(domain, staff=STAFF)
    await _switch_user(client, "manager@bright.example")
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    answer = await _upload(client, workbook.getvalue(), "history.xlsx")
    assert answer.status_code == 200  # htmx swaps only 2xx: the error is shown under the form
    assert 'class="error-summary"' in answer.text and "Excel workbook (.xlsx)" in answer.text
    assert 'href="#history-file"' in answer.text
    page = await _upload(client, workbook.getvalue(), "history.xlsx", htmx=False)
    assert page.status_code == 422 and 'aria-invalid="true"' in page.text and "CSV UTF-8" in page.text
    bad_map = await _upload(client, b"Created,Status\n03/01/2025,Booked\n", mapping="Source = chanel")
    assert "did you mean channel" in bad_map.text
    utf16 = codecs.BOM_UTF16_LE + "Created\tStatus\r\n03/01/2025 1:19 PM\tBooked\r\n".encode("utf-16-le")
    read = await _upload(client, utf16, "export.txt")
    assert "export.txt: 1 rows" in read.text and "100.0% became patients" in read.text
    assert await _versions(domain) == []


async def test_only_managers_and_admins_may_upload_history(client, domain):
    await make_practice(domain, staff=STAFF)
    await _switch_user(client, "desk@bright.example")
    assert (await _upload(client, b"Created,Status\n")).status_code == 403
