"""What the practice-management connector hands the domain, and asks of it, in the product's words.

The FHIR adapter and the file-export reader in `connectors/pms/` turn their wire formats into these;
the sync and the booking in this package never see a vendor payload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

PMS_APPOINTMENT_STATUSES = {
    "proposed": "booked",
    "pending": "booked",
    "booked": "booked",
    "arrived": "confirmed",
    "checked-in": "confirmed",
    "fulfilled": "completed",
    "cancelled": "cancelled",
    "noshow": "no_show",
    "entered-in-error": "cancelled",
    "waitlist": "booked",
}
"""FHIR R4 Appointment.status to the product's appointment status (the file export uses the product's)."""


@dataclass(frozen=True)
class PatientRecord:
    """A patient as the PMS holds them; `version` changes whenever the PMS changes the record."""

    pms_id: str
    version: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    """E.164 when it could be read as a phone number, else None."""
    email: str | None = None
    date_of_birth: date | None = None
    zip: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class AppointmentRecord:
    """A visit as the PMS holds it."""

    pms_id: str
    version: str
    status: str
    """The product's status: booked, confirmed, cancelled, no_show or completed."""
    starts_at: datetime
    patient_pms_id: str | None = None
    location_pms_id: str | None = None
    provider_pms_id: str | None = None
    appointment_type: str | None = None
    product_id: str | None = None
    """Our appointment id, when the product booked it (the identifier we sent along)."""
    updated_at: datetime | None = None


@dataclass(frozen=True)
class TreatmentPlanRecord:
    """A treatment plan from the file export."""

    pms_id: str
    version: str
    patient_pms_id: str
    status: str
    description: str | None = None
    value: float | None = None
    provider_pms_id: str | None = None
    presented_at: datetime | None = None
    accepted_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class ChangePage:
    """One page of changes since a cursor, oldest first, and the address of the next page if any."""

    patients: list[PatientRecord] = field(default_factory=list)
    appointments: list[AppointmentRecord] = field(default_factory=list)
    next_page: str | None = None


@dataclass(frozen=True)
class FreeSlot:
    """An open time in the PMS's schedule for an office and (optionally) a provider."""

    pms_id: str
    starts_at: datetime
    ends_at: datetime
    provider_pms_id: str | None = None


@dataclass(frozen=True)
class NewPatient:
    """A lead to be created as a patient in the PMS (conditionally: never a second record)."""

    lead_id: str
    first_name: str | None
    last_name: str | None
    phone: str | None
    email: str | None
    date_of_birth: date | None


@dataclass(frozen=True)
class NewAppointment:
    """A booking to be written to the PMS; `product_id` makes a retry find the first attempt's row."""

    product_id: str
    patient_pms_id: str
    starts_at: datetime
    ends_at: datetime
    location_pms_id: str | None
    provider_pms_id: str | None
    slot_pms_id: str | None
    appointment_type: str | None = None


@dataclass(frozen=True)
class WrittenAppointment:
    pms_id: str
    version: str


@dataclass
class ExportLineProblem:
    """A bad line of an export file, named by its line number (the header is line 1)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.message}"


@dataclass
class ExportBatch:
    """What a file export held: its good rows by kind and its bad lines."""

    kind: str
    """patients, appointments or treatments."""
    patients: list[PatientRecord] = field(default_factory=list)
    appointments: list[AppointmentRecord] = field(default_factory=list)
    treatment_plans: list[TreatmentPlanRecord] = field(default_factory=list)
    problems: list[ExportLineProblem] = field(default_factory=list)
