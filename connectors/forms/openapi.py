"""The form webhook's request body and answers as OpenAPI describes them (the handler reads raw bytes).

The body is read raw because the signature covers the exact bytes, so Litestar cannot infer its
schema; this describes it from the intake's own field rules, so the document cannot drift from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from router.intake.normalize import CHOICES, INT_FIELDS, INT_LIMIT, TEXT_LIMITS


def inquiry_schema() -> Schema:
    """A flat object of inquiry fields with the limits the intake applies."""
    properties: dict[str, Schema] = {
        name: Schema(type=OpenAPIType.STRING, max_length=limit) for name, limit in TEXT_LIMITS.items()
    }
    properties |= {
        name: Schema(type=OpenAPIType.INTEGER, minimum=0, maximum=INT_LIMIT) for name in INT_FIELDS
    }
    properties |= {
        name: Schema(type=OpenAPIType.STRING, enum=list(values)) for name, values in CHOICES.items()
    }
    properties |= {
        "phone": Schema(type=OpenAPIType.STRING, description="any national format; stored as E.164"),
        "email": Schema(type=OpenAPIType.STRING, format="email"),
        "zip": Schema(type=OpenAPIType.STRING, pattern=r"^\d{5}(-\d{4})?$"),
        "date_of_birth": Schema(type=OpenAPIType.STRING, format="date"),
        "sms_consent": Schema(type=OpenAPIType.BOOLEAN),
        "submitted_at": Schema(type=OpenAPIType.STRING, format="date-time"),
        "language": Schema(
            type=OpenAPIType.STRING,
            pattern=r"^([Ee][Nn]|[Ee][Ss])([-_][A-Za-z0-9]+)*$",
            description="the patient's messages' language: en or es (a tag such as es-MX is read as es)",
        ),
    }
    return Schema(
        type=OpenAPIType.OBJECT,
        properties=properties,
        description="A name and a phone or email are required; unknown fields are kept but not used.",
    )


@dataclass
class InquiryOperation(Operation):
    """The webhook operation with its body documented (JSON or form-encoded)."""

    def __post_init__(self) -> None:
        schema = inquiry_schema()
        self.request_body = RequestBody(
            required=True,
            content={
                "application/json": OpenAPIMediaType(schema=schema),
                "application/x-www-form-urlencoded": OpenAPIMediaType(schema=schema),
            },
        )
