"""The practice-management system's nightly CSV export: patients, appointments and treatment plans.

Small practices' systems (Dentrix, Eaglesoft, Open Dental) export one CSV per kind; which kind a
file holds is told by its columns. A file missing a required column is refused whole; a bad row is
skipped and named by its line number (the header is line 1); each good row carries a digest of its
contents as its version, so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from router.appointments.records import (
    AppointmentRecord,
    ExportBatch,
    ExportLineProblem,
    PatientRecord,
    TreatmentPlanRecord,
)
from router.intake.normalize import normalize_email, normalize_phone

REQUIRED = {
    "patients": ("patient_id", "first_name", "last_name"),
    "appointments": ("appointment_id", "patient_id", "start", "status"),
    "treatments": ("plan_id", "patient_id", "status"),
}
"""The columns each kind of export must have; other columns are read when known, else ignored."""
OPTIONAL = {
    "patients": ("date_of_birth", "phone", "email", "zip"),
    "appointments": ("location_id", "provider_id", "type"),
    "treatments": ("treatment", "value", "provider_id", "presented_on", "accepted_on", "completed_on"),
}
STATUSES = {
    "booked": "booked",
    "scheduled": "booked",
    "confirmed": "confirmed",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "no_show": "no_show",
    "no-show": "no_show",
    "no show": "no_show",
    "noshow": "no_show",
    "completed": "completed",
    "complete": "completed",
}
"""Appointment statuses as exports spell them, to the product's."""
TREATMENT_STATUSES = ("presented", "accepted", "completed", "declined")


class ExportFileError(ValueError):
    """The file cannot be read as any kind of export (the message names what is missing)."""


def read_export(text: str, *, file_name: str) -> ExportBatch:
    """The export's good rows and its bad lines; ExportFileError when it is no known export."""
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    reader.fieldnames = header
    kind = next((k for k, needed in REQUIRED.items() if set(needed) <= set(header)), None)
    if kind is None:
        raise ExportFileError(
            "This is not a patients, appointments or treatments export: it needs the columns "
            + "; or ".join(", ".join(cols) for cols in REQUIRED.values())
            + "."
        )
    batch = ExportBatch(kind=kind)
    read_row = _READERS[kind]
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue
        try:
            record = read_row(values, _version(values))
        except ValueError as exc:
            batch.problems.append(ExportLineProblem(file_name, line, str(exc)))
            continue
        if record.pms_id in seen:
            batch.problems.append(
                ExportLineProblem(file_name, line, f"{record.pms_id} appears twice; kept the first.")
            )
            continue
        seen.add(record.pms_id)
        getattr(
            batch,
            {"patients": "patients", "appointments": "appointments", "treatments": "treatment_plans"}[kind],
        ).append(record)
    return batch


def _version(values: dict[str, str]) -> str:
    return hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()[:32]


def _required(values: dict[str, str], name: str) -> str:
    if not values.get(name):
        raise ValueError(f"{name} is empty.")
    return values[name][:64]


def _patient(values: dict[str, str], version: str) -> PatientRecord:
    phone = email = None
    if values.get("phone"):
        try:
            phone = normalize_phone(values["phone"])
        except ValueError:
            raise ValueError("phone is not a phone number.") from None
    if values.get("email"):
        try:
            email = normalize_email(values["email"])
        except ValueError:
            raise ValueError("email is not an email address.") from None
    return PatientRecord(
        pms_id=_required(values, "patient_id"),
        version=version,
        first_name=_required(values, "first_name"),
        last_name=_required(values, "last_name"),
        phone=phone,
        email=email,
        date_of_birth=_day(values.get("date_of_birth"), "date_of_birth"),
        zip=(values.get("zip") or "")[:10] or None,
    )


def _appointment(values: dict[str, str], version: str) -> AppointmentRecord:
    status = STATUSES.get(values.get("status", "").lower())
    if status is None:
        raise ValueError(
            f"status {values.get('status')!r} is not one of booked, confirmed, cancelled, no-show, completed."
        )
    starts_at = _moment(values.get("start"), "start")
    if starts_at is None:
        raise ValueError("start is empty.")
    return AppointmentRecord(
        pms_id=_required(values, "appointment_id"),
        version=version,
        status=status,
        starts_at=starts_at,
        patient_pms_id=_required(values, "patient_id"),
        location_pms_id=values.get("location_id") or None,
        provider_pms_id=values.get("provider_id") or None,
        appointment_type=(values.get("type") or "")[:64] or None,
    )


def _treatment(values: dict[str, str], version: str) -> TreatmentPlanRecord:
    status = values.get("status", "").lower()
    if status not in TREATMENT_STATUSES:
        raise ValueError(f"status {values.get('status')!r} is not one of {', '.join(TREATMENT_STATUSES)}.")
    value = None
    if values.get("value"):
        try:
            value = float(values["value"].replace(",", "").replace("$", ""))
        except ValueError:
            raise ValueError(f"value {values['value']!r} is not an amount.") from None
        if value < 0:
            raise ValueError("value is negative.")
    return TreatmentPlanRecord(
        pms_id=_required(values, "plan_id"),
        version=version,
        patient_pms_id=_required(values, "patient_id"),
        status=status,
        description=(values.get("treatment") or "")[:200] or None,
        value=value,
        provider_pms_id=values.get("provider_id") or None,
        presented_at=_moment(values.get("presented_on"), "presented_on"),
        accepted_at=_moment(values.get("accepted_on"), "accepted_on"),
        completed_at=_moment(values.get("completed_on"), "completed_on"),
    )


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        try:
            return datetime.strptime(value, "%m/%d/%Y").date()
        except ValueError:
            raise ValueError(f"{name} {value!r} is not a date (YYYY-MM-DD or MM/DD/YYYY).") from None


def _moment(value: str | None, name: str) -> datetime | None:
    """A date and time as the office's wall clock (no zone: the office's zone is applied on import)."""
    if not value:
        return None
    for parse in (datetime.fromisoformat, lambda v: datetime.strptime(v, "%m/%d/%Y %H:%M")):
        try:
            return parse(value)
        except ValueError:
            continue
    raise ValueError(f"{name} {value!r} is not a date and time (YYYY-MM-DD HH:MM).")


_READERS: dict[str, Callable[[dict[str, str], str], Any]] = {
    "patients": _patient,
    "appointments": _appointment,
    "treatments": _treatment,
}
