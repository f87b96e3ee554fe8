"""The managers' review queue as a page shows it: each pair's fields side by side, in words.

Showing a pair reads PHI of the lead and of the patient; each is audited (`lead.read` via
"match_review", and `patient.read` naming the patient).
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select

from router.core.domain import Domain
from router.core.models import Lead, MatchReview
from router.matching.queue import lead_record
from router.matching.records import FIELDS
from router.privacy import audit
from router.privacy.access import Viewer, require

FIELD_WORDS = {
    "first_name": "First name",
    "last_name": "Last name",
    "phone": "Phone",
    "email": "Email",
    "date_of_birth": "Date of birth",
    "zip": "ZIP code",
}

SAME_LEVEL = {"first_name": 4, "last_name": 3, "phone": 1, "email": 2, "date_of_birth": 2, "zip": 1}
"""splink's level for an exact agreement per field (router/matching/linkage.py's order of levels)."""


def agreement_words(field: str, level: int) -> str:
    if level < 0:
        return "missing on one side"
    if level == 0:
        return "different"
    if level >= SAME_LEVEL[field]:
        return "same"
    if field == "first_name" and level == SAME_LEVEL[field] - 1:
        return "nickname"
    return "close (a typo?)"


@dataclass(frozen=True, slots=True)
class FieldRow:
    label: str
    lead_value: str
    patient_value: str
    agreement: str


@dataclass(frozen=True, slots=True)
class ReviewItem:
    review: MatchReview
    lead_name: str
    rows: list[FieldRow]


async def review_queue(
    domain: Domain, viewer: Viewer, *, actor: audit.Actor, limit: int = 50
) -> list[ReviewItem]:
    """Pending pairs of the viewer's leads, most likely first, each read audited."""
    require(viewer, "matching.review")
    async with domain.sessionmaker() as session, session.begin():
        pending = (
            await session.execute(
                select(MatchReview, Lead)
                .join(Lead, Lead.id == MatchReview.lead_id)
                .where(
                    MatchReview.practice_id == viewer.practice_id,
                    MatchReview.status == "pending",
                    viewer.work_filter(),
                )
                .order_by(MatchReview.probability.desc(), MatchReview.created_at)
                .limit(limit)
            )
        ).all()
        if not pending:
            return []
        patients = {
            record["record_id"]: record
            for record in await domain.patients.patient_records(session, viewer.practice_id)
        }
        items = []
        for review, lead in pending:
            patient = patients.get(str(review.patient_id))
            if patient is None:
                continue
            shown = lead_record(domain, lead)
            audit.record_read(
                session, actor=actor, practice_id=lead.practice_id, lead_id=lead.id, via="match_review"
            )
            audit.record(
                session,
                actor=actor,
                action="patient.read",
                practice_id=lead.practice_id,
                lead_id=lead.id,
                details={"patient": str(review.patient_id), "via": "match_review"},
            )
            items.append(ReviewItem(review, _name(shown), _rows(shown, patient, review.agreement)))
        return items


def _name(record: dict) -> str:
    return " ".join(p for p in (record.get("first_name"), record.get("last_name")) if p) or "(no name given)"


def shown_value(field: str, value: object) -> str:
    """A value as the front desk writes it: a US phone as (512) 555-0162, others as stored."""
    if not value:
        return "—"
    if field == "phone":
        try:
            number = phonenumbers.parse(str(value), "US")
        except phonenumbers.NumberParseException:
            return str(value)
        style = phonenumbers.PhoneNumberFormat
        return phonenumbers.format_number(
            number, style.NATIONAL if number.country_code == 1 else style.INTERNATIONAL
        )
    return str(value)


def _rows(lead: dict, patient: dict, agreement: dict) -> list[FieldRow]:
    return [
        FieldRow(
            FIELD_WORDS[field],
            shown_value(field, lead.get(field)),
            shown_value(field, patient.get(field)),
            agreement_words(field, int(agreement.get(field, -1))),
        )
        for field in FIELDS
    ]
