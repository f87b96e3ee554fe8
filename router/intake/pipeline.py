"""The intake pipeline: normalize -> match -> score -> assign -> persist -> announce.

One transaction writes the lead (or the touchpoint on the person's open lead), its funnel event,
consent record, audit record, idempotency answer and domain event; only after it commits are the
boards' hubs woken and the escalation job deferred to the deadline. For a new lead that transaction
is a single statement (router/intake/new_lead.py).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import LargeBinary, String, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

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
    Location,
)
from router.core.prepared import PreparedStatement
from router.core.unit_of_work import ring_after_answer
from router.intake.assignment import (
    STAFF_CANDIDATES_SQL,
    StaffCandidate,
    assignable_roles,
    choose_location,
    pick_staff,
)
from router.intake.commands import (
    NAMELESS_SOURCES,
    IdempotencyConflict,
    InquiryCommand,
    IntakeResult,
    UnknownPractice,
)
from router.intake.idempotency import (
    RECORD_ANSWER,
    claim_idempotency_key,
)
from router.intake.matching import (
    find_open_lead,
    lock_person,
    person_lock_keys,
)
from router.intake.new_lead import (
    WriteProgress,
    score_and_explain,
    write_new_lead,
)
from router.intake.normalize import NormalizedInquiry, normalize_inquiry
from router.intake.practice_view import PracticeView, load_practice
from router.intake.records import merge_rows, new_lead_rows
from router.practices.locations import nearest_location
from router.scores.explanations import explain_in_background
from scoring.channels import PATIENT_REFERRAL, classify_channel

log = logging.getLogger("leadrouter.intake")


def referral_channel(inquiry: NormalizedInquiry) -> str | None:
    """ "patient_referral" when the person named who sent them or came through a patient's link."""
    return PATIENT_REFERRAL if inquiry.referred_by or inquiry.referral_code else None


# The hot path's statements are built once: SQLAlchemy then reuses their cache keys and compiled
# forms instead of rebuilding them for every inquiry (a third of the intake's CPU before).


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
    known? who can take the lead?) and one write that is its own transaction (see router/intake/new_lead.py).
    A known person goes through the ORM: merge into their open lead, or a new lead of their household.

    A deadlock or serialization failure is run again here (a bounded number of times); a database
    that cannot take the inquiry raises NothingWritten, or WriteOutcomeUnknown when the connection
    broke while a write that commits was in flight (the sender retries with the same delivery id).
    """
    view = await load_practice(domain, command.practice_id)
    inquiry = normalize_inquiry(
        command.fields,
        region=view.settings.phone_region,
        now=command.received_at,
        name_required=command.source_kind not in NAMELESS_SOURCES,
    )
    for attempt in range(1, INTAKE_ATTEMPTS + 1):
        progress = WriteProgress()
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


async def _store(
    domain: Domain,
    command: InquiryCommand,
    view: PracticeView,
    inquiry: NormalizedInquiry,
    progress: WriteProgress,
) -> IntakeResult:
    async with domain.sessionmaker() as session:
        channel = (
            command.channel
            or referral_channel(inquiry)
            or classify_channel(
                utm_source=inquiry.tracking.get("utm_source"),
                utm_medium=inquiry.tracking.get("utm_medium"),
                gclid=inquiry.tracking.get("gclid"),
                fbclid=inquiry.tracking.get("fbclid"),
                referrer=inquiry.tracking.get("referrer"),
            )
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
        score, reasons = score_and_explain(domain, command.practice_id, scoring_input)
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
            lead_rows = new_lead_rows(
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
            written = await write_new_lead(
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
    progress: WriteProgress,
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
    replay = await claim_idempotency_key(session, command)
    if replay is not None:
        await session.rollback()
        return replay
    existing = match.lead
    result = merge_rows(session, domain, command, inquiry, channel, existing)
    await session.execute(
        RECORD_ANSWER,
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
    await ring_after_answer(domain.announcer, result.event_ids)
    try:
        if result.body["event"] == "lead.created" and result.lead_id and result.sla_due_at:
            await domain.jobs.schedule_escalation(result.lead_id, level=1, at=result.sla_due_at)
    except Exception:  # the sender must get its 2xx: the lead is committed
        log.exception("after-commit work for lead %s failed; sweeper and replay catch up", result.lead_id)
