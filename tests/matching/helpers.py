"""Shared helpers of the matching tests: staff, leads from web-form inquiries, people to match."""

from __future__ import annotations

import hashlib
import json
import uuid

from router.intake.pipeline import InquiryCommand, ingest_inquiry
from tests.board.helpers import FORM
from tests.factories import inquiry

STAFF = {"boss@bright.example": {"role": "manager"}, "desk@bright.example": {}}


async def new_lead(domain, practice, **fields):
    """A web-form inquiry with these contact details, as the intake stores it."""
    body = inquiry(**fields)
    result = await ingest_inquiry(
        domain,
        InquiryCommand(
            practice_id=practice.practice.id,
            source_kind="form",
            fields=body,
            received_at=domain.clock.now(),
            actor=FORM,
            idempotency_scope="form:test",
            idempotency_key=uuid.uuid4().hex,
            request_sha256=hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest(),
        ),
    )
    return result.lead_id


async def _people(domain, bright, book):
    """One sure match (same details), one unsure (nickname, new phone, no email), one stranger."""
    sure = await new_lead(
        domain,
        bright,
        first_name="Marisol",
        last_name="Quintero",
        phone="(512) 555-0161",
        email="mq@example.com",
        zip="78704",
    )
    unsure = await new_lead(
        domain,
        bright,
        first_name="Bob",
        last_name="Okafor",
        phone="(512) 555-0162",
        email="bob.o@example.net",
        zip="78705",
    )
    await new_lead(
        domain, bright, first_name="Zed", last_name="Stranger", phone="(512) 555-0163", zip="78610"
    )
    practice = bright.practice.id
    marisol = book.add(
        practice,
        first_name="Marisol",
        last_name="Quintero",
        phone="+15125550161",
        email="mq@example.com",
        zip="78704",
    )
    robert = book.add(
        practice, first_name="Robert", last_name="Okafor", phone="+15125550999", email=None, zip="78705"
    )
    book.add(
        practice,
        first_name="Ada",
        last_name="Other",
        phone="+15125550777",
        email="ada@example.org",
        zip="78701",
    )
    return sure, unsure, marisol, robert
