"""What the domain needs from a practice-management system, implemented by connectors/pms/."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from router.core.ports import PortNotConfigured

if TYPE_CHECKING:
    from router.appointments.records import (
        ChangePage,
        ExportBatch,
        FreeSlot,
        NewAppointment,
        NewPatient,
        WrittenAppointment,
    )


class PmsUnavailable(Exception):
    """The practice-management system did not answer usefully (down, timed out, 5xx): try again later."""


class PmsRefused(Exception):
    """The practice-management system refused the request for good; the message says why in plain words.

    `conflict` is set when it refused because the data changed meanwhile (a taken slot, a stale version).
    """

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.conflict = conflict


@dataclass(frozen=True)
class PmsAddress:
    """Where one practice's PMS is reached (built per practice and per call, never shared)."""

    practice_id: uuid.UUID
    kind: str
    base_url: str | None


class PmsClient(Protocol):
    """One practice's practice-management system, for the calls the product makes."""

    async def changes(self, resource: str, *, since: str | None, page: str | None) -> ChangePage:
        """Patients or Appointments changed at or after `since` (an instant), oldest first, one page."""
        ...

    async def patient(self, pms_id: str) -> ChangePage:
        """One patient by id (an appointment named a patient the sync has not seen yet)."""
        ...

    async def free_slots(
        self, *, location_pms_id: str, provider_pms_id: str | None, start: datetime, end: datetime
    ) -> list[FreeSlot]: ...

    async def ensure_patient(self, patient: NewPatient) -> str:
        """The PMS id of the lead's patient, created only if the PMS has no such patient (If-None-Exist)."""
        ...

    async def book(self, appointment: NewAppointment) -> WrittenAppointment:
        """Create the appointment (conditionally: a retry finds the first attempt's)."""
        ...

    async def cancel(self, pms_id: str, *, version: str | None) -> WrittenAppointment:
        """Cancel an appointment; a stale `version` is refused (If-Match)."""
        ...

    async def confirm(self, pms_id: str, *, confirmed_at: datetime) -> WrittenAppointment:
        """The patient confirmed the appointment (on the PMS's current version of it)."""

    async def subscribe(self, *, endpoint: str, token: str) -> list[str] | None:
        """Ask the PMS to call `endpoint` (with `token` as a bearer) when patients or appointments
        change; the subscriptions' ids, or None when the PMS offers no subscriptions."""
        ...

    async def close(self) -> None: ...


class PmsGateway(Protocol):
    """Builds a practice's PMS client from its address, and reads file exports."""

    def client(self, address: PmsAddress) -> PmsClient: ...

    def read_export(self, text: str, *, file_name: str) -> ExportBatch:
        """A patients, appointments or treatments export, its bad lines named by number."""
        ...


class PmsNotConfigured:
    """The PMS port until the composition root wires the connector in."""

    def client(self, address: PmsAddress) -> PmsClient:
        raise PortNotConfigured("practice-management connector not configured")

    def read_export(self, text: str, *, file_name: str) -> ExportBatch:
        raise PortNotConfigured("practice-management connector not configured")
