"""The intake pipeline: normalize -> match -> score -> assign -> persist -> announce.

One transaction writes the lead (or the touchpoint on the person's open lead), its funnel event,
consent record, audit record, idempotency answer and domain event; only after it commits are the
boards' hubs woken and the escalation job deferred to the deadline. For a new lead that transaction
is a single statement (router/rows.py).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import LargeBinary, String, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.crypto import PHI_CONTEXT
from router.core.db_errors import (
    NothingWritten,
    WriteOutcomeUnknown,
    is_lock_conflict,
    is_unavailable,
    outcome_unknown,
)
from router.core.domain import Domain
from router.core.events import record_event
from router.core.models import (
    AuditRecord,
    ConsentRecord,
    FunnelEvent,
    IdempotencyRecord,
    Lead,
    Location,
    Practice,
    Provider,
    Touchpoint,
)
from router.core.ports import LeadScore
from router.core.prepared import PreparedStatement
from router.intake.assignment import (
    STAFF_CANDIDATES_SQL,
    StaffCandidate,
    assignable_roles,
    choose_location,
    pick_staff,
)
from router.intake.matching import (
    fill_missing_contact,
    find_open_lead,
    lock_person,
    person_lock_keys,
)
from router.intake.new_lead import new_lead_write
from router.intake.normalize import TRACKING_FIELDS, NormalizedInquiry, normalize_inquiry
from router.practices.locations import nearest_location
from router.practices.settings import PracticeSettings
from router.practices.sla import contact_deadline
from router.privacy import audit
from router.scores.explanations import explain_in_background
from scoring.channels import classify_channel

log = logging.getLogger("leadrouter.intake")

NAMELESS_SOURCES = ("call", "sms")
"""Inquiries that arrive as a phone number only (a call, a text): no name is required."""


class IdempotencyConflict(Exception):
    """The same delivery id arrived again with a different body."""


class UnknownPractice(LookupError):
    """The inquiry names a practice or location that does not exist."""


@dataclass(frozen=True)
class InquiryCommand:
    """A connector's request to take in one inquiry (the vendor format is already gone)."""

    practice_id: uuid.UUID
    source_kind: str
    """form, call, chat, walk_in, referral, sms."""
    fields: Mapping[str, Any]
    """Flat inquiry fields as the sender gave them (validated here)."""
    received_at: datetime
    actor: audit.Actor
    idempotency_scope: str
    idempotency_key: str
    request_sha256: bytes
    form_source_id: uuid.UUID | None = None
    default_location_id: uuid.UUID | None = None
    channel: str | None = None
    """Known channel (a tracking number's); else classified from the ad-click parameters."""
    referring_physician_id: uuid.UUID | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IntakeResult:
    """What happened to an inquiry, and the answer the sender gets (the same on every retry)."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False
    event_ids: tuple[int, ...] = ()
    lead_id: uuid.UUID | None = None
    sla_due_at: datetime | None = None
    score: LeadScore | None = None
    scoring_input: Any = None
    """What the lead was scored on, kept for the explanation computed right after commit."""


@dataclass
class _PracticeView:
    practice: Practice
    settings: PracticeSettings
    locations: list[Location]
    provider_names: tuple[str, ...]


async def _load_practice(domain: Domain, practice_id: uuid.UUID) -> _PracticeView:
    """The practice's settings, locations and providers (cached for seconds: read on every inquiry)."""
    cached = domain.lookups.get(("practice", practice_id))
    if isinstance(cached, _PracticeView):
        return cached
    async with domain.sessionmaker() as session:
        return await _read_practice(session, domain, practice_id)


async def _read_practice(session: AsyncSession, domain: Domain, practice_id: uuid.UUID) -> _PracticeView:
    practice = await session.get(Practice, practice_id)
    if practice is None:
        raise UnknownPractice(f"practice {practice_id} does not exist")
    locations = list(
        (await session.scalars(select(Location).where(Location.practice_id == practice_id))).all()
    )
    if not locations:
        raise UnknownPractice(f"practice {practice.slug} has no locations")
    providers = (
        await session.scalars(select(Provider.name).where(Provider.practice_id == practice_id))
    ).all()
    view = _PracticeView(practice, PracticeSettings.from_json(practice.settings), locations, tuple(providers))
    domain.lookups.put(("practice", practice_id), view)
    return view


# The hot path's statements are built once: SQLAlchemy then reuses their cache keys and compiled
# forms instead of rebuilding them for every inquiry (a third of the intake's CPU before).
_IDEMPOTENCY = IdempotencyRecord.__table__
_RESERVE_DELIVERY = (
    pg_insert(_IDEMPOTENCY)
    .values(
        scope=bindparam("scope"),
        key=bindparam("key"),
        request_sha256=bindparam("sha"),
        created_at=bindparam("at"),
    )
    .on_conflict_do_nothing()
    .returning(_IDEMPOTENCY.c.key)
)
_RECORD_ANSWER = (
    update(_IDEMPOTENCY)
    .where(_IDEMPOTENCY.c.scope == bindparam("b_scope"), _IDEMPOTENCY.c.key == bindparam("b_key"))
    .values(status_code=bindparam("b_status"), response=bindparam("b_response"))
)


async def _claim_idempotency_key(session: AsyncSession, command: InquiryCommand) -> IntakeResult | None:
    """Reserve the delivery id; concurrent duplicates wait here on the unique key, then replay."""
    inserted = await session.scalar(
        _RESERVE_DELIVERY,
        {
            "scope": command.idempotency_scope,
            "key": command.idempotency_key,
            "sha": command.request_sha256,
            "at": command.received_at,
        },
    )
    if inserted is not None:
        return None
    replay = await _previous_answer(session, command)
    assert replay is not None, "a reserved delivery id without its answer after the reserver committed"
    return replay


async def _previous_answer(session: AsyncSession, command: InquiryCommand) -> IntakeResult | None:
    """The answer the first delivery of this id got (IdempotencyConflict if the body differs)."""
    previous = await session.get(IdempotencyRecord, (command.idempotency_scope, command.idempotency_key))
    if previous is None or previous.status_code is None:
        return None
    if bytes(previous.request_sha256) != command.request_sha256:
        raise IdempotencyConflict(command.idempotency_key)
    return IntakeResult(status_code=previous.status_code, body=previous.response or {}, replayed=True)


def _touchpoint(
    command: InquiryCommand, inquiry: NormalizedInquiry, channel: str, domain: Domain
) -> Touchpoint:
    tracking = inquiry.tracking
    return Touchpoint(
        id=uuid.uuid4(),
        practice_id=command.practice_id,
        kind=command.source_kind,
        channel=channel,
        occurred_at=command.received_at,
        form_source_id=command.form_source_id,
        treatment_interest=inquiry.treatment_interest,
        last_dental_visit=inquiry.last_dental_visit,
        message_enc=domain.cipher.encrypt(inquiry.message, context=PHI_CONTEXT),
        details=dict(command.details),
        **{key: tracking.get(key) for key in TRACKING_FIELDS},
    )


def scoring_input_for(
    inquiry: NormalizedInquiry,
    *,
    location: Location,
    received_at: datetime,
    channel: str,
    distance: float | None,
    provider_names: tuple[str, ...],
) -> Any:
    """The scorer's view of an inquiry (the same function training uses on history)."""
    from scoring.features import scoring_input_from_inquiry

    return scoring_input_from_inquiry(
        inquiry.fields,
        received_at_local=received_at.astimezone(ZoneInfo(location.time_zone)),
        distance_miles=distance,
        channel=channel,
        provider_names=provider_names,
    )


async def ingest_inquiry(domain: Domain, command: InquiryCommand) -> IntakeResult:
    """Take in one inquiry exactly once and announce it; raises InvalidInquiry (nothing stored)."""
    result = await store_inquiry(domain, command)
    await announce_intake(domain, command.practice_id, result)
    return result


async def store_inquiry(domain: Domain, command: InquiryCommand) -> IntakeResult:
    """The intake's writes alone; the caller runs `announce_intake` after answering the sender.

    The common case, a person with no open lead, costs two statements: one read (is this person
    known? who can take the lead?) and one write that is its own transaction (see router/rows.py).
    A known person goes through the ORM: merge into their open lead, or a new lead of their household.

    A deadlock or serialization failure is run again here (a bounded number of times); a database
    that cannot take the inquiry raises NothingWritten, or WriteOutcomeUnknown when the connection
    broke while a write that commits was in flight (the sender retries with the same delivery id).
    """
    view = await _load_practice(domain, command.practice_id)
    inquiry = normalize_inquiry(
        command.fields,
        region=view.settings.phone_region,
        now=command.received_at,
        name_required=command.source_kind not in NAMELESS_SOURCES,
    )
    for attempt in range(1, INTAKE_ATTEMPTS + 1):
        progress = _Progress()
        try:
            return await _store(domain, command, view, inquiry, progress)
        except (IdempotencyConflict, UnknownPractice):
            raise
        except Exception as exc:
            if progress.committing and outcome_unknown(exc):
                raise WriteOutcomeUnknown(f"{type(exc).__name__} while storing") from exc
            if is_lock_conflict(exc) and attempt < INTAKE_ATTEMPTS:
                log.info(
                    "intake of delivery %s ran into a lock conflict; trying again", command.idempotency_key
                )
                continue
            if is_unavailable(exc):
                raise NothingWritten(f"{type(exc).__name__} before anything was stored") from exc
            raise
    raise AssertionError("unreachable: the last attempt returns or raises")


INTAKE_ATTEMPTS = 3
"""Runs of an inquiry that meets a deadlock or serialization failure: one such conflict is rare and a
second in a row rarer still; past three the database is in trouble and the sender's retry is better."""

PERSON_LOOKS = 3
"""Looks at a person's open leads: the first, without locks, may miss a concurrent inquiry of theirs
(the write then refuses); the second happens under the person's locks, which are held until the
write, so it is final. A third covers a delivery whose first attempt vanished meanwhile."""


@dataclass(frozen=True)
class _NewLeadBasis:
    """What a known person's new lead is written against (their open leads were none to merge into)."""

    household_id: uuid.UUID | None
    open_lead_ids: list[uuid.UUID]


@dataclass
class _Progress:
    committing: bool = False
    """A write that commits (or its COMMIT) was sent: a broken connection now leaves the outcome unknown."""


async def _store(
    domain: Domain,
    command: InquiryCommand,
    view: _PracticeView,
    inquiry: NormalizedInquiry,
    progress: _Progress,
) -> IntakeResult:
    async with domain.sessionmaker() as session:
        channel = command.channel or classify_channel(
            utm_source=inquiry.tracking.get("utm_source"),
            utm_medium=inquiry.tracking.get("utm_medium"),
            gclid=inquiry.tracking.get("gclid"),
            fbclid=inquiry.tracking.get("fbclid"),
            referrer=inquiry.tracking.get("referrer"),
        )
        rules = view.settings.assignment
        nearest = nearest_location(inquiry.contact.zip, view.locations)
        location = choose_location(
            view.locations,
            rules=rules,
            requested=inquiry.requested_location,
            default_location_id=command.default_location_id,
            nearest=nearest,
        )
        scoring_input = scoring_input_for(
            inquiry,
            location=location,
            received_at=command.received_at,
            channel=channel,
            distance=nearest[1] if nearest else None,
            provider_names=view.provider_names,
        )
        # Scored and explained inline: about 0.4 ms of CPU, less than handing it to a thread cost
        # (futures, wake-ups, GIL hand-offs); the reasons then reach the board with the lead itself.
        score, reasons = _score_and_explain(domain, command.practice_id, scoring_input)
        phone_index = domain.blind_index.digest(inquiry.contact.phone, kind="phone")
        email_index = domain.blind_index.digest(inquiry.contact.email, kind="email")
        rows = await _PERSON_AND_STAFF.fetch(
            session,
            {
                "practice_id": command.practice_id,
                "phone_index": phone_index,
                "email_index": email_index,
                "location_id": location.id,
                "roles": assignable_roles(rules),
            },
        )
        staff = pick_staff(
            [StaffCandidate(*row[1:]) for row in rows if row["id"] is not None],
            location,
            rules=rules,
            score=score.value if score else None,
            now=command.received_at,
        )
        person = {
            "practice_id": command.practice_id,
            "phone_index": phone_index,
            "email_index": email_index,
            "lock_keys": person_lock_keys(phone_index, email_index),
            "open_lead_ids": [],
        }
        known = bool(rows[0]["known_person"])
        for _ in range(PERSON_LOOKS):
            basis = None
            if known:
                basis = await _merge_into_open_lead(session, domain, command, inquiry, channel, progress)
                if isinstance(basis, IntakeResult):
                    return basis
            person["open_lead_ids"] = basis.open_lead_ids if basis else []
            lead_rows = _new_lead_rows(
                domain,
                command,
                inquiry,
                channel,
                location,
                view,
                staff,
                basis.household_id if basis else None,
                score,
                reasons,
            )
            written = await _write_new_lead(
                session,
                command,
                lead_rows,
                person=person,
                staff=staff,
                score=score,
                scoring_input=scoring_input if score and not reasons else None,
                progress=progress,
                in_open_transaction=basis is not None,
            )
            if written is not None:
                return written
            known = True  # a concurrent inquiry of this person stored a lead: look again, under the locks
        raise RuntimeError(f"the open leads of delivery {command.idempotency_key!r}'s person kept changing")


_PERSON_AND_STAFF = PreparedStatement(
    text(
        "SELECT EXISTS (SELECT 1 FROM leads WHERE practice_id = :practice_id AND status = 'open'"
        " AND (phone_index = :phone_index OR email_index = :email_index)) AS known_person, staff.*"
        f" FROM (SELECT 1) AS one LEFT JOIN ({STAFF_CANDIDATES_SQL}) AS staff ON true"
    ).bindparams(
        bindparam("practice_id", type_=PG_UUID),
        bindparam("phone_index", type_=LargeBinary),
        bindparam("email_index", type_=LargeBinary),
        bindparam("location_id", type_=PG_UUID),
        bindparam("roles", type_=ARRAY(String)),
    )
)
"""The intake's one read: does the person have an open lead, and who at the location can take one."""


async def _merge_into_open_lead(
    session: AsyncSession,
    domain: Domain,
    command: InquiryCommand,
    inquiry: NormalizedInquiry,
    channel: str,
    progress: _Progress,
) -> IntakeResult | _NewLeadBasis:
    """The answer when the inquiry merged (or replayed); else what a new lead is written against.

    Runs in the session's transaction, which it commits when it merged and rolls back on a replay.
    Otherwise the transaction stays open, holding the person's locks, and the new lead is written in
    it: no concurrent inquiry of theirs can slip in between this look and that write.
    """
    await lock_person(
        session,
        practice_id=command.practice_id,
        phone_index=domain.blind_index.digest(inquiry.contact.phone, kind="phone"),
        email_index=domain.blind_index.digest(inquiry.contact.email, kind="email"),
    )
    match = await find_open_lead(session, domain, command.practice_id, inquiry)
    if match.lead is None:
        household = match.household
        return _NewLeadBasis(
            household_id=(household.household_lead_id or household.id) if household else None,
            open_lead_ids=list(match.open_lead_ids),
        )
    replay = await _claim_idempotency_key(session, command)
    if replay is not None:
        await session.rollback()
        return replay
    existing = match.lead
    result = _merge(session, domain, command, inquiry, channel, existing)
    await session.execute(
        _RECORD_ANSWER,
        {
            "b_scope": command.idempotency_scope,
            "b_key": command.idempotency_key,
            "b_status": result.status_code,
            "b_response": result.body,
        },
    )
    event_id = await record_event(
        session,
        kind="lead.touched",
        practice_id=command.practice_id,
        location_id=existing.location_id,
        lead_id=existing.id,
        payload={"source": command.source_kind, "channel": channel},
    )
    progress.committing = True
    await session.commit()
    return dataclasses.replace(result, event_ids=(event_id,))


async def announce_intake(domain: Domain, practice_id: uuid.UUID, result: IntakeResult) -> None:
    """Wake the boards, defer the escalation, explain the score; the lead is already safe.

    The form webhook runs this after its answer is sent, keeping the fan-out off the response path.
    """
    await _after_commit(domain, result)
    if result.score is not None and result.lead_id is not None and result.scoring_input is not None:
        explain_in_background(
            domain,
            lead_id=result.lead_id,
            practice_id=practice_id,
            scoring_input=result.scoring_input,
            version=result.score.version,
        )


async def _after_commit(domain: Domain, result: IntakeResult) -> None:
    """Wake the boards and defer the escalation; failures only log.

    A lost doorbell is recovered by the hubs' replay from the event table, a lost escalation job by
    the worker's sweeper, so Redis being down never turns a stored lead into an error for the sender.
    """
    try:
        await domain.announcer.announce(result.event_ids)
        if result.body["event"] == "lead.created" and result.lead_id and result.sla_due_at:
            await domain.jobs.schedule_escalation(result.lead_id, level=1, at=result.sla_due_at)
    except Exception:  # the sender must get its 2xx: the lead is committed
        log.exception("after-commit work for lead %s failed; sweeper and replay catch up", result.lead_id)


def _merge(
    session: AsyncSession,
    domain: Domain,
    command: InquiryCommand,
    inquiry: NormalizedInquiry,
    channel: str,
    existing: Lead,
) -> IntakeResult:
    """The inquiry as a new touchpoint of the person's open lead."""
    touchpoint = _touchpoint(command, inquiry, channel, domain)
    touchpoint.lead_id = existing.id
    session.add(touchpoint)
    existing.touch_count += 1
    existing.last_activity_at = command.received_at
    fill_missing_contact(existing, inquiry, domain)
    audit.record(
        session,
        actor=command.actor,
        action="lead.touch",
        practice_id=command.practice_id,
        lead_id=existing.id,
        details={"touchpoint_id": str(touchpoint.id), "source": command.source_kind},
    )
    _consent(session, command, inquiry, existing.id, domain)
    return IntakeResult(
        status_code=200,
        body={
            "lead_id": str(existing.id),
            "status": "merged",
            "touchpoint_id": str(touchpoint.id),
            "location_id": str(existing.location_id),
            "channel": channel,
            "event": "lead.touched",
        },
        lead_id=existing.id,
    )


def _new_lead_rows(
    domain: Domain,
    command: InquiryCommand,
    inquiry: NormalizedInquiry,
    channel: str,
    location: Location,
    view: _PracticeView,
    staff: StaffCandidate | None,
    household_id: uuid.UUID | None,
    score: LeadScore | None,
    reasons: list[str] | None,
) -> tuple[Lead, Touchpoint, FunnelEvent, ConsentRecord | None, AuditRecord]:
    """The new lead and the rows that go with it (not yet in any session)."""
    now = command.received_at
    deadline = contact_deadline(now, location, view.settings)
    cipher = domain.cipher
    contact = inquiry.contact
    lead = Lead(
        id=uuid.uuid4(),
        practice_id=command.practice_id,
        location_id=location.id,
        household_lead_id=household_id,
        referring_physician_id=command.referring_physician_id,
        first_name_enc=cipher.encrypt(contact.first_name, context=PHI_CONTEXT),
        last_name_enc=cipher.encrypt(contact.last_name, context=PHI_CONTEXT),
        phone_enc=cipher.encrypt(contact.phone, context=PHI_CONTEXT),
        email_enc=cipher.encrypt(contact.email, context=PHI_CONTEXT),
        date_of_birth_enc=cipher.encrypt(
            contact.date_of_birth.isoformat() if contact.date_of_birth else None, context=PHI_CONTEXT
        ),
        phone_index=domain.blind_index.digest(contact.phone, kind="phone"),
        email_index=domain.blind_index.digest(contact.email, kind="email"),
        zip=contact.zip,
        age_range=contact.age_range,
        treatment_interest=inquiry.treatment_interest,
        source_kind=command.source_kind,
        source_channel=channel,
        status="open",
        stage="lead",
        score=score.value if score else None,
        score_version=score.version if score else None,
        score_pooled=score.pooled if score else False,
        score_reasons=reasons or [],
        assigned_user_id=staff.id if staff else None,
        assigned_at=now if staff else None,
        received_at=now,
        sla_started_at=deadline.started_at,
        sla_due_at=deadline.due_at,
        overflow=deadline.overflow,
        escalation_level=0,
        last_activity_at=now,
        touch_count=1,
    )
    touchpoint = _touchpoint(command, inquiry, channel, domain)
    touchpoint.lead_id = lead.id
    funnel = FunnelEvent(
        practice_id=command.practice_id,
        lead_id=lead.id,
        stage="lead",
        occurred_at=now,
        actor=command.actor.id,
    )
    record = audit.new_record(
        actor=command.actor,
        action="lead.create",
        practice_id=command.practice_id,
        lead_id=lead.id,
        details={
            "touchpoint_id": str(touchpoint.id),
            "source": command.source_kind,
            "fields": sorted(
                k
                for k in ("first_name", "last_name", "phone", "email", "date_of_birth", "message")
                if inquiry.fields.get(k)
            ),
        },
    )
    return lead, touchpoint, funnel, _consent_record(command, inquiry, lead.id, domain), record


async def _write_new_lead(
    session: AsyncSession,
    command: InquiryCommand,
    rows: tuple[Lead, Touchpoint, FunnelEvent, ConsentRecord | None, AuditRecord],
    *,
    person: dict[str, Any],
    staff: StaffCandidate | None,
    score: LeadScore | None,
    scoring_input: Any,
    progress: _Progress,
    in_open_transaction: bool,
) -> IntakeResult | None:
    """One statement writes everything if the delivery id is new and the person's open leads are as
    expected; else the first delivery's answer, or None when the person's open leads changed.

    For a new person the statement is its own transaction; for a known one it runs in the
    transaction that looked at their open leads under their locks, and commits it.
    """
    lead, touchpoint = rows[0], rows[1]
    body = {
        "lead_id": str(lead.id),
        "status": "created",
        "touchpoint_id": str(touchpoint.id),
        "location_id": str(lead.location_id),
        "assigned_user_id": str(staff.id) if staff else None,
        "household_lead_id": str(lead.household_lead_id) if lead.household_lead_id else None,
        "sla_due_at": lead.sla_due_at.isoformat(),
        "score": lead.score,
        "channel": lead.source_channel,
        "event": "lead.created",
    }
    statement, params = new_lead_write(
        tuple(row for row in rows if row is not None),
        person=person,
        reservation={
            "scope": command.idempotency_scope,
            "key": command.idempotency_key,
            "request_sha256": command.request_sha256,
            "status_code": 201,
            "response": body,
            "at": command.received_at,
            "staff_id": staff.id if staff else None,
        },
        event={
            "event_kind": "lead.created",
            "practice_id": command.practice_id,
            "location_id": lead.location_id,
            "lead_id": lead.id,
            "event_payload": {"source": command.source_kind, "channel": lead.source_channel},
        },
    )
    created = IntakeResult(
        status_code=201,
        body=body,
        lead_id=lead.id,
        sla_due_at=lead.sla_due_at,
        score=score,
        scoring_input=scoring_input,
    )
    if in_open_transaction:
        [written] = await statement.fetch(session, params)
        if written["id"] is not None:
            progress.committing = True
            await session.commit()
            return dataclasses.replace(created, event_ids=(int(written["id"]),))
        replay = await _previous_answer(session, command) if written["person_as_expected"] else None
        await session.rollback()
        return replay
    # A duplicate finds the first delivery's committed answer; should that row have gone meanwhile
    # (the first delivery's transaction failed after all), the write is simply tried again.
    for _ in range(_WRITE_ATTEMPTS):
        progress.committing = True
        [written] = await statement.fetch(session, params, own_transaction=True)
        progress.committing = False
        if written["id"] is not None:
            return dataclasses.replace(created, event_ids=(int(written["id"]),))
        if not written["person_as_expected"]:
            return None
        replay = await _previous_answer(session, command)
        # End that read's transaction: a retried write must again be a transaction of its own.
        await session.rollback()
        if replay is not None:
            return replay
    raise RuntimeError(f"delivery {command.idempotency_key!r} neither written nor answered")


_WRITE_ATTEMPTS = 3
"""A reservation that vanishes between our conflict and our read is a rolled-back first delivery."""


def _score_and_explain(
    domain: Domain, practice_id: uuid.UUID, scoring_input: Any
) -> tuple[LeadScore | None, list[str] | None]:
    score = domain.scorer.score(practice_id, scoring_input)
    reasons = domain.scorer.explain(practice_id, scoring_input, score.version) if score else None
    return score, reasons


def _consent(
    session: AsyncSession,
    command: InquiryCommand,
    inquiry: NormalizedInquiry,
    lead_id: uuid.UUID,
    domain: Domain,
) -> None:
    record = _consent_record(command, inquiry, lead_id, domain)
    if record is not None:
        session.add(record)


def _consent_record(
    command: InquiryCommand, inquiry: NormalizedInquiry, lead_id: uuid.UUID, domain: Domain
) -> ConsentRecord | None:
    """The consent the form captured, as an immutable record (None when the form asked nothing)."""
    consent = inquiry.consent
    if consent is None:
        return None
    return ConsentRecord(
        id=uuid.uuid4(),
        practice_id=command.practice_id,
        lead_id=lead_id,
        phone_index=domain.blind_index.digest(inquiry.contact.phone, kind="phone"),
        channel="sms",
        granted=consent.granted,
        disclosure_version=consent.disclosure_version,
        captured_at=consent.captured_at,
        page=consent.page,
        ip_enc=domain.cipher.encrypt(consent.ip, context="consent"),
        source=command.source_kind,
    )
