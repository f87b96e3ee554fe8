"""The PMS's file exports, uploaded on the settings screen: bad lines named, a re-import never duplicates."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from connectors.pms.export_file import ExportFileError, read_export
from router.core.models import Appointment, Patient, PmsSyncRun, TreatmentPlan
from tests.appointments.helpers import PATIENTS
from tests.factories import csrf_of, make_practice, sign_in

pytestmark = pytest.mark.integration

APPOINTMENTS = (
    "appointment_id,patient_id,start,status,type\n"
    "A-1,P-1,2031-03-04 09:30,booked,New patient exam\n"
    "A-2,P-3,2031-03-05 10:00,No-show,Cleaning\n"
    "A-3,P-1,next week,booked,\n"
    "A-4,P-9,2031-03-06 11:00,completed,\n"
)
TREATMENTS = (
    "plan_id,patient_id,treatment,status,value,accepted_on\n"
    'T-1,P-1,Clear aligners,accepted,"$5,200.00",2031-03-04 10:00\n'
    "T-2,P-3,Crown,maybe,900,\n"
)


def test_the_reader_names_bad_lines_and_refuses_an_unknown_file():
    batch = read_export(PATIENTS, file_name="patients.csv")
    assert batch.kind == "patients" and [p.pms_id for p in batch.patients] == ["P-1", "P-3"]
    assert [str(p) for p in batch.problems] == [
        "patients.csv line 3: phone is not a phone number.",
        "patients.csv line 5: first_name is empty.",
    ]
    assert batch.patients[0].phone == "+15125550101"
    with pytest.raises(ExportFileError, match="patient_id, first_name, last_name"):
        read_export("name,amount\nx,1\n", file_name="other.csv")


async def upload(client, name: str, text: str):
    return await client.post(
        "/admin/pms/export",
        files={"export": (name, text.encode(), "text/csv")},
        headers={"x-csrftoken": await csrf_of(client)},
    )


async def test_uploads_store_rows_report_bad_lines_and_a_reimport_changes_nothing(client, domain):
    await make_practice(domain, staff={"maya@bright.example": {"name": "Maya", "role": "manager"}})
    await sign_in(client, domain, "maya@bright.example")
    first = await upload(client, "patients.csv", PATIENTS)
    assert first.status_code == 200, first.text
    assert "3 patients rows read" not in first.text and "2 new or changed" in first.text
    assert "patients.csv line 3: phone is not a phone number." in first.text
    appointments = await upload(client, "appointments.csv", APPOINTMENTS)
    assert "A-3: " not in appointments.text and "line 4: start" in appointments.text
    assert "appointment A-4" in appointments.text  # its patient is unknown: named, not guessed
    plans = await upload(client, "treatments.csv", TREATMENTS)
    assert "line 3: status &#39;maybe&#39;" in plans.text or "line 3: status 'maybe'" in plans.text

    again = await upload(client, "patients.csv", PATIENTS)
    assert "0 new or changed" in again.text
    await upload(client, "appointments.csv", APPOINTMENTS)
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Patient)) == 2
        stored = {a.pms_id: a for a in await session.scalars(select(Appointment))}
        plan = await session.scalar(select(TreatmentPlan))
        runs = await session.scalar(select(func.count()).select_from(PmsSyncRun))
    assert set(stored) == {"A-1", "A-2"}
    assert stored["A-2"].status == "no_show" and stored["A-1"].appointment_type == "New patient exam"
    assert stored["A-1"].starts_at == datetime(2031, 3, 4, 9, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert (plan.value, plan.status, plan.description) == (5200.0, "accepted", "Clear aligners")
    assert runs == 5
    page = await client.get("/admin/pms")
    assert "file upload" in page.text and "Recent runs" in page.text


async def test_a_file_that_is_not_an_export_is_refused_beside_the_field(client, domain):
    await make_practice(domain, staff={"maya@bright.example": {"name": "Maya", "role": "manager"}})
    await sign_in(client, domain, "maya@bright.example")
    answer = await upload(client, "spend.csv", "date,channel,spend\n2031-01-01,google,3\n")
    assert answer.status_code == 422
    assert "not a patients, appointments or treatments export" in answer.text
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(PmsSyncRun)) == 0


async def test_the_settings_screen_saves_the_connection_and_front_desk_may_not_open_it(client, domain):
    await make_practice(
        domain,
        staff={
            "maya@bright.example": {"name": "Maya", "role": "manager"},
            "ana@bright.example": {"name": "Ana"},
        },
    )
    await sign_in(client, domain, "maya@bright.example")
    token = await csrf_of(client)
    bad = await client.post(
        "/admin/pms", data={"kind": "fhir", "base_url": "pms.local", "_csrf_token": token}
    )
    assert bad.status_code == 422 and "Enter the FHIR server" in bad.text
    good = await client.post(
        "/admin/pms",
        data={
            "kind": "fhir",
            "base_url": "https://pms.example.com/fhir",
            "writable": "1",
            "_csrf_token": token,
        },
    )
    assert good.status_code == 303
    page = await client.get("/admin/pms")
    assert "https://pms.example.com/fhir, bookings are written to it" in page.text
    assert "waiting for the first sync" in page.text
    await client.post("/logout", data={"_csrf_token": await csrf_of(client)})
    await sign_in(client, domain, "ana@bright.example")
    assert (await client.get("/admin/pms")).status_code == 403


async def test_files_dropped_in_the_practices_folder_are_imported_once_patients_first(domain, tmp_path):
    import dataclasses

    from router.appointments.drop_folder import import_drop_folders
    from router.core.models import PmsConnection

    practice = await make_practice(domain)
    async with domain.sessionmaker() as session, session.begin():
        session.add(
            PmsConnection(
                practice_id=practice.practice.id, kind="file", cursor={}, updated_at=domain.clock.now()
            )
        )
    folder = tmp_path / "bright"
    folder.mkdir()
    (folder / "appointments.csv").write_text(APPOINTMENTS)
    (folder / "patients.csv").write_text(PATIENTS, encoding="utf-8-sig")
    (folder / "notes.csv").write_text("what,ever\n1,2\n")
    settings = domain.settings
    domain.settings = dataclasses.replace(
        settings, pms=dataclasses.replace(settings.pms, drop_dir=str(tmp_path))
    )
    try:
        assert await import_drop_folders(domain) == {"imported": 2, "refused": 1}
        assert await import_drop_folders(domain) == {"imported": 0, "refused": 0}
    finally:
        domain.settings = settings
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 2
    assert sorted(p.name.split("-", 1)[1] for p in (folder / "imported").iterdir()) == [
        "appointments.csv",
        "patients.csv",
    ]
    assert [p.name.split("-", 1)[1] for p in (folder / "refused").iterdir()] == ["notes.csv"]
