"""The FHIR R4 adapter: the product's PMS calls as FHIR REST requests, answers read through R4B models.

Built per practice and per call from its address (never shared); the HTTP transport is injectable so
tests may point it anywhere. Every answer is validated with `fhir.resources`' R4B models before it is
read; a server that answers something else is treated as unavailable, not believed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx

from connectors.pms.fhir_models import InvalidResource, validated
from router.appointments.records import (
    PMS_APPOINTMENT_STATUSES,
    AppointmentRecord,
    ChangePage,
    FreeSlot,
    NewAppointment,
    NewPatient,
    PatientRecord,
    WrittenAppointment,
)
from router.core.pms_ports import PmsRefused, PmsUnavailable

PAGE_SIZE = 100
"""Resources per page of changes: a page is one request and one commit per resource, small enough
that a crash mid-page repeats little work."""
TIMEOUT_SECONDS = 8.0
"""A booking waits on the PMS inside the close: long enough for a slow PMS, short enough that a
person at the desk sees "pending in PMS" rather than a spinner."""
LEAD_SYSTEM = "urn:leadrouter:lead"
APPOINTMENT_SYSTEM = "urn:leadrouter:appointment"
FHIR_JSON = "application/fhir+json"
CONFIRMED_EXTENSION = "https://leadrouter.example/fhir/StructureDefinition/patient-confirmed"
"""When the patient confirmed the appointment (a reply to a reminder); FHIR R4 has no status for it."""
SUBSCRIBED = ("Patient", "Appointment")
"""What the product subscribes to: the two resources the sync reads."""


class FhirPmsClient:
    """One practice's FHIR R4 server."""

    def __init__(self, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            timeout=TIMEOUT_SECONDS,
            transport=transport,
            headers={"Accept": FHIR_JSON},
        )
        self._base = base_url.rstrip("/")

    async def close(self) -> None:
        await self._http.aclose()

    async def changes(self, resource: str, *, since: str | None, page: str | None) -> ChangePage:
        if page is not None:
            bundle = await self._get(page)
        else:
            params: dict[str, Any] = {"_sort": "_lastUpdated", "_count": PAGE_SIZE}
            if since:
                params["_lastUpdated"] = f"ge{since}"
            bundle = await self._get(resource, params=params)
        return _page(bundle)

    async def patient(self, pms_id: str) -> ChangePage:
        body = await self._get(f"Patient/{pms_id}")
        return ChangePage(patients=[_patient(body)])

    async def free_slots(
        self, *, location_pms_id: str, provider_pms_id: str | None, start: datetime, end: datetime
    ) -> list[FreeSlot]:
        schedules = _entries(await self._get("Schedule", params={"actor": f"Location/{location_pms_id}"}))
        slots: list[FreeSlot] = []
        for schedule in schedules:
            actors = [a.get("reference", "") for a in schedule.get("actor", [])]
            practitioner = next(
                (a.removeprefix("Practitioner/") for a in actors if a.startswith("Practitioner/")), None
            )
            if provider_pms_id and practitioner != provider_pms_id:
                continue
            params = [
                ("schedule", f"Schedule/{schedule['id']}"),
                ("status", "free"),
                ("start", f"ge{start.astimezone(UTC).isoformat()}"),
                ("start", f"lt{end.astimezone(UTC).isoformat()}"),
                ("_count", "200"),
            ]
            for slot in _entries(await self._get("Slot", params=params)):
                slots.append(
                    FreeSlot(
                        pms_id=slot["id"],
                        starts_at=datetime.fromisoformat(slot["start"]),
                        ends_at=datetime.fromisoformat(slot["end"]),
                        provider_pms_id=practitioner,
                    )
                )
        return sorted(slots, key=lambda s: s.starts_at)

    async def ensure_patient(self, patient: NewPatient) -> str:
        body = _patient_resource(patient)
        validated(body)
        condition = {"identifier": f"{LEAD_SYSTEM}|{patient.lead_id}"}
        if patient.phone and patient.last_name:
            condition = {"phone": patient.phone, "family": patient.last_name}
        elif patient.email and patient.last_name:
            condition = {"email": patient.email, "family": patient.last_name}
        if patient.date_of_birth:
            condition["birthdate"] = patient.date_of_birth.isoformat()
        answer = await self._send(
            "POST", "Patient", json=body, headers={"If-None-Exist": httpx.QueryParams(condition).__str__()}
        )
        return str(answer.json()["id"])

    async def book(self, appointment: NewAppointment) -> WrittenAppointment:
        body = _appointment_resource(appointment)
        validated(body)
        answer = await self._send(
            "POST",
            "Appointment",
            json=body,
            headers={"If-None-Exist": f"identifier={APPOINTMENT_SYSTEM}|{appointment.product_id}"},
        )
        stored = answer.json()
        return WrittenAppointment(pms_id=stored["id"], version=stored["meta"]["versionId"])

    async def cancel(self, pms_id: str, *, version: str | None) -> WrittenAppointment:
        current = await self._get(f"Appointment/{pms_id}")
        current["status"] = "cancelled"
        headers = {"If-Match": f'W/"{version}"'} if version else {}
        stored = (await self._send("PUT", f"Appointment/{pms_id}", json=current, headers=headers)).json()
        return WrittenAppointment(pms_id=stored["id"], version=stored["meta"]["versionId"])

    async def confirm(self, pms_id: str, *, confirmed_at: datetime) -> WrittenAppointment:
        """The patient confirmed: their participation `accepted`, and when, on the current version."""
        current = await self._get(f"Appointment/{pms_id}")
        for participant in current.get("participant", []):
            if participant.get("actor", {}).get("reference", "").startswith("Patient/"):
                participant["status"] = "accepted"
        others = [e for e in current.get("extension", []) if e.get("url") != CONFIRMED_EXTENSION]
        current["extension"] = [
            *others,
            {"url": CONFIRMED_EXTENSION, "valueDateTime": confirmed_at.astimezone(UTC).isoformat()},
        ]
        headers = {"If-Match": f'W/"{current["meta"]["versionId"]}"'}
        stored = (await self._send("PUT", f"Appointment/{pms_id}", json=current, headers=headers)).json()
        return WrittenAppointment(pms_id=stored["id"], version=stored["meta"]["versionId"])

    async def subscribe(self, *, endpoint: str, token: str) -> list[str] | None:
        """R4 rest-hook Subscriptions for patient and appointment changes, where the server's
        CapabilityStatement lists Subscription with create; None where it does not (polling stays).
        No payload is asked for: a notification only says "something changed", the sync reads it."""
        if not _offers_subscriptions(await self._get("metadata")):
            return None
        ids = []
        for resource in SUBSCRIBED:
            body = {
                "resourceType": "Subscription",
                "status": "requested",
                "reason": f"Lead Router reads {resource} changes as they happen",
                "criteria": f"{resource}?",
                "channel": {
                    "type": "rest-hook",
                    "endpoint": endpoint,
                    "header": [f"Authorization: Bearer {token}"],
                },
            }
            validated(body)
            ids.append(str((await self._send("POST", "Subscription", json=body)).json()["id"]))
        return ids

    async def _get(self, path: str, *, params: Any = None) -> dict[str, Any]:
        answer = await self._send("GET", path, params=params)
        return dict(answer.json())

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if path.startswith(self._base):
            path = path[len(self._base) :].lstrip("/")
        headers = (
            {"Content-Type": FHIR_JSON, **kwargs.pop("headers", {})}
            if "json" in kwargs
            else kwargs.pop("headers", None)
        )
        try:
            answer = await self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise PmsUnavailable(
                f"The practice-management system could not be reached ({type(exc).__name__})."
            ) from exc
        if answer.status_code >= 500 or answer.status_code == 429:
            raise PmsUnavailable(
                f"The practice-management system answered {answer.status_code}: {_diagnostics(answer)}"
            )
        if answer.status_code >= 400:
            raise PmsRefused(_refusal(answer), conflict=answer.status_code in (409, 412))
        try:
            validated(answer.json())
        except (ValueError, InvalidResource) as exc:
            raise PmsUnavailable(
                f"The practice-management system answered something that is not FHIR: {exc}"
            ) from exc
        return answer


def _refusal(answer: httpx.Response) -> str:
    if answer.status_code == 409:
        return "That time was booked in the practice's schedule meanwhile; choose another time."
    if answer.status_code == 412:
        return (
            "The appointment was changed in the practice-management system meanwhile; reload and try again."
        )
    if answer.status_code == 404:
        return f"The practice-management system does not know that record ({_diagnostics(answer)})."
    return f"The practice-management system refused it: {_diagnostics(answer)}"


def _diagnostics(answer: httpx.Response) -> str:
    try:
        outcome = validated(answer.json())
        issues = getattr(outcome, "issue", None) or []
        return "; ".join(i.diagnostics or i.code for i in issues)[:300] or answer.reason_phrase
    except (ValueError, InvalidResource):
        return answer.reason_phrase or str(answer.status_code)


def _offers_subscriptions(statement: dict[str, Any]) -> bool:
    for rest in statement.get("rest", []):
        for resource in rest.get("resource", []):
            if resource.get("type") == "Subscription":
                return any(i.get("code") == "create" for i in resource.get("interaction", []))
    return False


def _entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if "resource" in e]


def _page(bundle: dict[str, Any]) -> ChangePage:
    patients, appointments = [], []
    for resource in _entries(bundle):
        if resource["resourceType"] == "Patient":
            patients.append(_patient(resource))
        elif resource["resourceType"] == "Appointment":
            appointments.append(_appointment(resource))
    following = next((link["url"] for link in bundle.get("link", []) if link.get("relation") == "next"), None)
    return ChangePage(patients=patients, appointments=appointments, next_page=following)


def _patient(resource: dict[str, Any]) -> PatientRecord:
    name = (resource.get("name") or [{}])[0]
    telecom = resource.get("telecom") or []
    address = (resource.get("address") or [{}])[0]
    birth = resource.get("birthDate")
    return PatientRecord(
        pms_id=resource["id"],
        version=resource["meta"]["versionId"],
        first_name=" ".join(name.get("given") or []) or None,
        last_name=name.get("family"),
        phone=next((t["value"] for t in telecom if t.get("system") == "phone"), None),
        email=next((t["value"] for t in telecom if t.get("system") == "email"), None),
        date_of_birth=date.fromisoformat(birth) if birth and len(birth) == 10 else None,
        zip=address.get("postalCode"),
        updated_at=datetime.fromisoformat(resource["meta"]["lastUpdated"]),
    )


def _appointment(resource: dict[str, Any]) -> AppointmentRecord:
    actors = {}
    for participant in resource.get("participant", []):
        kind, _, ref_id = participant.get("actor", {}).get("reference", "").partition("/")
        actors.setdefault(kind, ref_id)
    ours = next(
        (i["value"] for i in resource.get("identifier", []) if i.get("system") == APPOINTMENT_SYSTEM), None
    )
    kind_text = (resource.get("appointmentType") or {}).get("text")
    return AppointmentRecord(
        pms_id=resource["id"],
        version=resource["meta"]["versionId"],
        status=PMS_APPOINTMENT_STATUSES.get(resource["status"], "booked"),
        starts_at=datetime.fromisoformat(resource["start"]),
        patient_pms_id=actors.get("Patient"),
        location_pms_id=actors.get("Location"),
        provider_pms_id=actors.get("Practitioner"),
        appointment_type=kind_text or resource.get("description"),
        product_id=ours,
        updated_at=datetime.fromisoformat(resource["meta"]["lastUpdated"]),
    )


def _patient_resource(patient: NewPatient) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": LEAD_SYSTEM, "value": patient.lead_id}],
        "name": [{"family": patient.last_name, "given": [patient.first_name] if patient.first_name else []}],
        "telecom": [
            {"system": system, "value": value}
            for system, value in (("phone", patient.phone), ("email", patient.email))
            if value
        ],
    }
    if patient.date_of_birth:
        body["birthDate"] = patient.date_of_birth.isoformat()
    return {k: v for k, v in body.items() if v}


def _appointment_resource(appointment: NewAppointment) -> dict[str, Any]:
    participants = [{"actor": {"reference": f"Patient/{appointment.patient_pms_id}"}, "status": "accepted"}]
    for kind, ref in (
        ("Location", appointment.location_pms_id),
        ("Practitioner", appointment.provider_pms_id),
    ):
        if ref:
            participants.append({"actor": {"reference": f"{kind}/{ref}"}, "status": "accepted"})
    body: dict[str, Any] = {
        "resourceType": "Appointment",
        "status": "booked",
        "identifier": [{"system": APPOINTMENT_SYSTEM, "value": appointment.product_id}],
        "start": appointment.starts_at.astimezone(UTC).isoformat(),
        "end": appointment.ends_at.astimezone(UTC).isoformat(),
        "participant": participants,
    }
    if appointment.slot_pms_id:
        body["slot"] = [{"reference": f"Slot/{appointment.slot_pms_id}"}]
    if appointment.appointment_type:
        body["appointmentType"] = {"text": appointment.appointment_type}
    return body
