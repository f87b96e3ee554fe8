"""Ad spend uploaded in the browser: the command's rules (bad rows by line, re-import replaces),
Excel's BOM and UTF-16 read, a file too large or not CSV refused with the reason beside the field."""

from __future__ import annotations

import codecs

import pytest
from sqlalchemy import func, select

from router.core.models import AdSpend
from router.marketing.spend import SPEND_UPLOAD_MAX_BYTES
from tests.admin.conftest import sign_in

pytestmark = pytest.mark.integration

EXPORT = (
    "Date,Channel,Campaign,Spend,Clicks\r\n"
    "2026-03-01,Google Ads,Braces,$1,200.50,40\r\n"
    "2026-03-01,Meta,Smiles,300,x\r\n"
    "2026-03-02,Google Ads,Braces,99.5,12\r\n"
)


async def upload(client, csrf, name, raw, kind="text/csv"):
    return await client.post("/admin/spend", files={"spend": (name, raw, kind)}, headers=csrf)


async def stored(domain):
    async with domain.sessionmaker() as session:
        return (await session.execute(select(func.count(), func.sum(AdSpend.spend)))).one()


async def test_an_excel_utf16_export_is_read_bad_rows_named_by_line_and_a_reimport_replaces(
    client, domain, practices
):
    csrf = await sign_in(client, domain, practices.user("maya@bright.example"))
    raw = codecs.BOM_UTF16_LE + EXPORT.replace("$1,200.50", '"$1,200.50"').encode("utf-16-le")
    answer = await upload(client, csrf, "google.csv", raw)
    assert answer.status_code == 200, answer.text
    assert "google.csv: 2 day and campaign rows stored." in answer.text
    assert "line 3: clicks" in answer.text  # "x" is not a number of clicks
    assert await stored(domain) == (2, 1300.0)
    again = await upload(
        client, csrf, "google.csv", (codecs.BOM_UTF8 + EXPORT.replace("$1,200.50", "1000").encode())
    )
    assert again.status_code == 200 and await stored(domain) == (2, 1099.5)
    page = await client.get("/admin/spend")
    assert "Google Ads" in page.text and "1,099.50" in page.text


async def test_files_that_cannot_be_spend_are_refused_with_the_reason_and_nothing_stored(
    client, domain, practices
):
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    workbook = await upload(
        client, csrf, "spend.xlsx", b"PK\x03\x04" + b"\x00" * 100, "application/vnd.ms-excel"
    )
    assert (
        workbook.status_code == 422
        and "not a CSV file" in workbook.text
        and 'id="spend-error"' in workbook.text
    )
    big = await upload(
        client,
        csrf,
        "spend.csv",
        b"date,channel,spend\n" + b"2026-03-01,google,1\n" * (SPEND_UPLOAD_MAX_BYTES // 20 + 10),
    )
    assert big.status_code == 422 and "larger than 5 MB" in big.text
    missing = await upload(client, csrf, "spend.csv", b"day,channel,cost\n2026-03-01,google,1\n")
    assert missing.status_code == 422 and "missing column(s) date, spend" in missing.text
    assert await stored(domain) == (0, None)


async def test_front_desk_cannot_upload_spend(client, domain, practices):
    csrf = await sign_in(client, domain, practices.user("ana@bright.example"))
    assert (await client.get("/admin/spend")).status_code == 403
    assert (await upload(client, csrf, "g.csv", EXPORT.encode())).status_code == 403
    assert await stored(domain) == (0, None)
