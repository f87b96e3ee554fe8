"""The local FHIR server answers as a real one does, and the adapter turns each refusal into plain words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.pms.fhir import FhirPmsClient
from connectors.pms.fhir_demo import record_outcomes
from connectors.pms.fhir_server import FhirTestServer
from router.appointments.records import NewAppointment, NewPatient
from router.core.pms_ports import PmsRefused, PmsUnavailable

pytestmark = pytest.mark.integration


@pytest.fixture
async def server():
    running = await FhirTestServer().start()
    yield running
    await running.stop()


def appointment(patient_id: str, start: str = "2031-01-02T15:00:00+00:00") -> dict:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "start": start,
        "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"}],
    }


async def test_stale_if_match_unknown_ids_and_invalid_bodies_are_refused(server):
    patient = server.change({"resourceType": "Patient", "name": [{"family": "Lee"}]})
    booked = server.change(appointment(patient["id"]))
    client = FhirPmsClient(server.base_url)
    try:
        server.set_status("Appointment", booked["id"], "arrived")  # changed at the desk: now version 2
        with pytest.raises(PmsRefused) as stale:
            await client.cancel(booked["id"], version="1")
        assert stale.value.conflict and "changed in the practice-management system meanwhile" in str(
            stale.value
        )
        assert (await client.cancel(booked["id"], version="2")).version == "3"
        with pytest.raises(PmsRefused, match="does not know that record"):
            await client.patient("nobody")
    finally:
        await client.close()
    async with httpx.AsyncClient(base_url=server.base_url + "/") as http:
        bad = await http.post("Appointment", json={"resourceType": "Appointment", "status": "booked"})
        assert bad.status_code == 400
        assert bad.json()["resourceType"] == "OperationOutcome"
        assert "participant" in bad.json()["issue"][0]["diagnostics"]
        unknown_code = await http.post("Appointment", json={**appointment(patient["id"]), "status": "maybe"})
        assert unknown_code.status_code == 400


async def test_last_updated_filters_and_next_links_page_through_everything(server):
    first = server.change({"resourceType": "Patient", "name": [{"family": "A"}]})
    for n in range(4):
        server.change({"resourceType": "Patient", "name": [{"family": f"B{n}"}]})
    async with httpx.AsyncClient() as http:
        after_first = await http.get(
            f"{server.base_url}/Patient",
            params={"_lastUpdated": f"gt{first['meta']['lastUpdated']}", "_count": "2"},
        )
        bundle = after_first.json()
        assert bundle["total"] == 4 and len(bundle["entry"]) == 2
        following = next(link["url"] for link in bundle["link"] if link["relation"] == "next")
        rest = (await http.get(following)).json()
        assert [e["resource"]["name"][0]["family"] for e in rest["entry"]] == ["B2", "B3"]
        assert not [link for link in rest["link"] if link["relation"] == "next"]


async def test_conditional_creates_never_duplicate_and_a_down_server_is_unavailable(server):
    client = FhirPmsClient(server.base_url)
    try:
        someone = NewPatient(
            lead_id="lead-1",
            first_name="Ada",
            last_name="Okafor",
            phone="+15125550101",
            email=None,
            date_of_birth=None,
        )
        assert await client.ensure_patient(someone) == await client.ensure_patient(someone)
        start = datetime(2031, 1, 2, 15, tzinfo=UTC)
        booking = NewAppointment(
            product_id="ours-1",
            patient_pms_id=server.all("Patient")[0]["id"],
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            location_pms_id=None,
            provider_pms_id=None,
            slot_pms_id=None,
        )
        assert (await client.book(booking)).pms_id == (await client.book(booking)).pms_id
        assert len(server.all("Patient")) == 1 and len(server.all("Appointment")) == 1
        server.down = True
        with pytest.raises(PmsUnavailable, match="503"):
            await client.book(booking)
    finally:
        await client.close()


async def test_the_demo_front_desk_records_each_visits_outcome_after_a_few_minutes(server):
    patient = server.change({"resourceType": "Patient", "name": [{"family": "Lee"}]})
    for n in range(6):
        server.change(appointment(patient["id"], f"2031-01-0{n + 1}T15:00:00+00:00"))
    now = datetime.now(UTC)
    assert record_outcomes(server, now) == 0
    assert record_outcomes(server, now + timedelta(minutes=4)) == 6
    assert {a["status"] for a in server.all("Appointment")} <= {"fulfilled", "noshow", "cancelled"}
    assert record_outcomes(server, now + timedelta(minutes=8)) == 0
