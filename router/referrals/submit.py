"""Refer a patient: the form checked whole, the referral and its files stored, then its lead taken in.

Two steps, each safe to repeat. The referral (reason, notes, files: encrypted) is committed first;
then its inquiry goes through the intake pipeline like any other (scored, assigned, announced on
the board with its countdown, merged into the person's open lead when there is one), with the
referral's id as its delivery id, so running it again never makes a second lead. The same form
sent twice (its one-time key) is one referral; sending it again after an intake that did not finish
(the database went away in between) finishes it.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from router.core.domain import Domain
from router.core.errors import NotPermitted
from router.core.form_values import FormReader
from router.core.models import REFERRAL_URGENCIES, Location, Referral, ReferralAttachment
from router.core.phi_columns import (
    REFERRAL_CLINICAL_NOTES,
    REFERRAL_FILE,
    REFERRAL_FILE_NAME,
    REFERRAL_REASON,
)
from router.intake.commands import InquiryCommand
from router.intake.normalize import InvalidInquiry, normalize_inquiry
from router.intake.pipeline import ingest_inquiry
from router.privacy import audit
from router.privacy.access import Viewer, require
from router.referrals.attachments import (
    ATTACHMENTS_PER_REFERRAL,
    AttachmentRefused,
    CheckedAttachment,
    check_attachment,
)
from router.referrals.destinations import Destination, destinations_for, physicians_for

log = logging.getLogger("leadrouter.referrals")

PHYSICIAN_REFERRAL = "physician_referral"
INTAKE_SCOPE = "referral"
URGENCY_WORDS = {"routine": "Routine", "soon": "Soon (within two weeks)", "urgent": "Urgent (within days)"}
PATIENT_FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "phone": "phone",
    "email": "email",
    "date_of_birth": "date_of_birth",
}
"""The form's patient fields and the intake's names for them (the same)."""
FIELD_WORDS = {
    "first_name": "the patient's first name",
    "last_name": "the patient's last name",
    "phone": "the patient's phone",
    "email": "the patient's email",
    "date_of_birth": "the date of birth",
}


@dataclass(frozen=True)
class SentReferral:
    referral_id: uuid.UUID
    lead_id: uuid.UUID | None
    already_sent: bool = False


@dataclass(frozen=True)
class ReferralForm:
    """What the form said, checked."""

    fields: dict[str, str]
    destination: Destination
    physician_id: uuid.UUID
    urgency: str
    reason: str
    notes: str | None
    submission_key: str


async def _read_form(
    domain: Domain, viewer: Viewer, form: Mapping[str, Any], read: FormReader
) -> ReferralForm | None:
    async with domain.sessionmaker() as session:
        destinations = {d.value: d for d in await destinations_for(session, viewer)}
        physicians = dict(await physicians_for(session, viewer))
    fields = {name: read.raw(name) for name in PATIENT_FIELDS if read.raw(name)}
    for name in ("first_name", "last_name"):
        read.text(name, label=FIELD_WORDS[name].capitalize(), required=True, max_length=100)
    if not fields.get("phone") and not fields.get("email"):
        read.fail("phone", "Enter the patient's phone or email, so the practice can reach them.")
    chosen = read.choice("destination", label="where to send the patient", choices=tuple(destinations))
    physician = read.raw("physician_id") or (str(viewer.user_id) if viewer.user_id in physicians else "")
    if physician not in {str(p) for p in physicians}:
        read.fail("physician_id", "Choose the physician the referral is from.")
    urgency = read.choice("urgency", label="how soon the patient should be seen", choices=REFERRAL_URGENCIES)
    reason = read.text("reason", label="The reason for referral", required=True, max_length=2000)
    notes = read.text("clinical_notes", label="Clinical notes", max_length=5000)
    key = read.text("submission_key", label="The form's key", required=True, max_length=64)
    if not (chosen and urgency and reason and key) or read.errors.get("physician_id"):
        return None
    return ReferralForm(fields, destinations[chosen], uuid.UUID(physician), urgency, reason, notes, key)


def _patient_fields(referral: ReferralForm) -> dict[str, str]:
    fields = dict(referral.fields)
    if referral.destination.location_slug:
        fields["location"] = referral.destination.location_slug
    return fields


async def _check_patient(domain: Domain, referral: ReferralForm, read: FormReader) -> None:
    """The patient's fields as the intake will read them: its refusals shown beside the form's fields."""
    try:
        normalize_inquiry(_patient_fields(referral), region="US", now=domain.clock.now(), name_required=True)
    except InvalidInquiry as exc:
        for error in exc.errors:
            name = error.field if error.field in FIELD_WORDS else "phone"
            read.fail(name, f"{FIELD_WORDS.get(name, 'This').capitalize()} {error.message}.")


async def check_files(
    domain: Domain, files: Sequence[tuple[str, bytes]], read: FormReader
) -> list[CheckedAttachment]:
    """Every file checked; the first refusal is shown beside the attachments field."""
    if len(files) > ATTACHMENTS_PER_REFERRAL:
        read.fail("attachments", f"Attach at most {ATTACHMENTS_PER_REFERRAL} files.")
        return []
    checked = []
    for name, content in files:
        try:
            checked.append(await check_attachment(name, content, scanner=domain.scanner))
        except AttachmentRefused as refused:
            read.fail("attachments", str(refused))
    return checked


async def send_referral(
    domain: Domain,
    viewer: Viewer,
    form: Mapping[str, Any],
    files: Sequence[tuple[str, bytes]],
    *,
    actor: audit.Actor,
) -> SentReferral:
    """Check the whole form, store the referral, take its lead in; InvalidFields names every problem."""
    require(viewer, "referral.send")
    read = FormReader(form)
    referral = await _read_form(domain, viewer, form, read)
    if referral is not None:
        await _check_patient(domain, referral, read)
    attachments = await check_files(domain, files, read)
    read.done()
    assert referral is not None
    stored = await _store(domain, viewer, referral, attachments, actor=actor)
    if stored.already_sent:
        return stored
    return await complete_referral(domain, stored.referral_id, fields=_patient_fields(referral))


async def _store(
    domain: Domain,
    viewer: Viewer,
    form: ReferralForm,
    attachments: Sequence[CheckedAttachment],
    *,
    actor: audit.Actor,
) -> SentReferral:
    cipher = domain.cipher
    now = domain.clock.now()
    referral_id = uuid.uuid4()
    async with domain.sessionmaker() as session, session.begin():
        earlier = await session.scalar(select(Referral).where(Referral.submission_key == form.submission_key))
        if earlier is not None:
            if earlier.submitted_by_user_id != viewer.user_id:
                raise NotPermitted("This form was already used; open a new referral form.")
            return SentReferral(earlier.id, earlier.lead_id, already_sent=earlier.lead_id is not None)
        session.add(
            Referral(
                id=referral_id,
                practice_id=form.destination.practice_id,
                referring_office_id=viewer.referring_office_id,
                referring_physician_id=form.physician_id,
                submitted_by_user_id=viewer.user_id,
                urgency=form.urgency,
                preferred_location_id=form.destination.location_id,
                reason_enc=cipher.seal(form.reason, column=REFERRAL_REASON, row_id=referral_id),
                clinical_notes_enc=cipher.seal(
                    form.notes, column=REFERRAL_CLINICAL_NOTES, row_id=referral_id
                ),
                submission_key=form.submission_key,
                submitted_at=now,
            )
        )
        await session.flush()
        for attachment in attachments:
            file_id = uuid.uuid4()
            session.add(
                ReferralAttachment(
                    id=file_id,
                    referral_id=referral_id,
                    file_name_enc=cipher.seal(
                        attachment.file_name, column=REFERRAL_FILE_NAME, row_id=file_id
                    ),
                    content_enc=cipher.seal_bytes(attachment.content, column=REFERRAL_FILE, row_id=file_id),
                    media_type=attachment.media_type,
                    size_bytes=len(attachment.content),
                    scanned_by=attachment.scanned_by,
                    created_at=now,
                )
            )
        audit.record(
            session,
            actor=actor,
            action="referral.create",
            practice_id=form.destination.practice_id,
            details={"referral_id": str(referral_id), "files": len(attachments), "urgency": form.urgency},
        )
    return SentReferral(referral_id, None)


async def complete_referral(
    domain: Domain, referral_id: uuid.UUID, *, fields: Mapping[str, str]
) -> SentReferral:
    """Take the referral's patient in through the intake (once, however often this runs); link the lead."""
    async with domain.sessionmaker() as session:
        referral = await session.get(Referral, referral_id)
        assert referral is not None
        slug = None
        if referral.preferred_location_id:
            slug = await session.scalar(
                select(Location.slug).where(Location.id == referral.preferred_location_id)
            )
    command = InquiryCommand(
        practice_id=referral.practice_id,
        source_kind="referral",
        fields={**fields, **({"location": slug} if slug else {})},
        received_at=referral.submitted_at,
        actor=audit.Actor("integration", f"referral:{referral.id}"),
        idempotency_scope=INTAKE_SCOPE,
        idempotency_key=str(referral.id),
        request_sha256=hashlib.sha256(str(referral.id).encode()).digest(),
        default_location_id=referral.preferred_location_id,
        channel=PHYSICIAN_REFERRAL,
        referring_physician_id=referral.referring_physician_id,
        referring_office_id=referral.referring_office_id,
        urgent=referral.urgency == "urgent",
        details={"referral_id": str(referral.id)},
    )
    result = await ingest_inquiry(domain, command)
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Referral).where(Referral.id == referral.id).values(lead_id=result.lead_id)
        )
    return SentReferral(referral.id, result.lead_id)
