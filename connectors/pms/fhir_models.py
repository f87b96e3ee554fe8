"""FHIR R4 resources as `fhir.resources`' R4B models validate them (R4B is R4's resources, fixed)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot
from fhir.resources.R4B.subscription import Subscription
from pydantic import ValidationError

MODELS = {
    model.__name__: model
    for model in (
        Appointment,
        Bundle,
        CapabilityStatement,
        Location,
        OperationOutcome,
        Patient,
        Practitioner,
        Schedule,
        Slot,
        Subscription,
    )
}
"""The resources the product reads or writes."""

APPOINTMENT_STATUS_CODES = frozenset(
    {
        "proposed",
        "pending",
        "booked",
        "arrived",
        "fulfilled",
        "cancelled",
        "noshow",
        "entered-in-error",
        "checked-in",
        "waitlist",
    }
)
"""R4's AppointmentStatus value set (the models check the type of a code, not its value set)."""


class InvalidResource(ValueError):
    """A body that is not a valid FHIR R4 resource of a kind we use; the message names the fields."""


def validated(resource: dict[str, Any]) -> Any:
    """The resource as its R4B model, or InvalidResource naming each bad field."""
    kind = resource.get("resourceType")
    model = MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise InvalidResource(f"{kind!r} is not a resource type this server handles.")
    try:
        return model.model_validate(resource)
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or kind}: {error['msg']}" for error in exc.errors()[:5]
        )
        raise InvalidResource(f"Invalid {kind}: {fields}") from None
