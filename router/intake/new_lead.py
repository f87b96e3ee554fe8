"""A new lead's whole write as one statement: reservation, rows, staff rotation and ordered event.

One statement, which PostgreSQL runs as its own transaction, in place of a round trip per row:

- `person` takes the person's intake locks and checks, with a snapshot taken after they were granted,
  that their open leads are still those the intake decided on (none for a new person); if a
  concurrent inquiry of theirs committed a lead meanwhile, nothing is written and the intake merges;
- `reserved` inserts the delivery id with the answer; a concurrent duplicate waits on the unique key
  and then inserts nothing, and so does every other part, because each selects FROM `reserved`;
- `household` locks the household's lead before the event ordering lock is taken (its foreign key
  check would otherwise lock it after: the lock order is stated in router/core/events.py);
- one data-modifying CTE per new row (lead, touchpoint, funnel event, consent, audit); foreign keys
  between them hold because PostgreSQL checks them at the end of the statement;
- `assigned` moves the chosen staff member to the back of the round robin;
- the main INSERT appends the domain event under the ordering lock, taken only after every other
  part has run (`written` counts their rows), as `EVENT_ORDER_LOCK_KEY` requires.

It answers one row: the event's id (NULL when nothing was written) and whether the person's open
leads were as expected (false: the intake must look again).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Integer, LargeBinary, Table, bindparam, inspect, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from router.core.domain import Domain
from router.core.events import EVENT_ORDER_LOCK_KEY
from router.core.models import (
    AuditRecord,
    Base,
    ConsentRecord,
    DomainEvent,
    FunnelEvent,
    IdempotencyRecord,
    Lead,
    StaffUser,
    Touchpoint,
)
from router.core.ports import LeadScore
from router.core.prepared import PreparedStatement
from router.intake.assignment import (
    StaffCandidate,
)
from router.intake.commands import (
    InquiryCommand,
    IntakeResult,
)
from router.intake.idempotency import (
    previous_answer,
)


def _inserted_columns(table: Table) -> list[Column[Any]]:
    """Every column a new row gives a value for; server-generated ones (identities, now()) are left out."""
    return [
        column
        for column in table.columns
        if column.identity is None and not (column.server_default is not None and column.default is None)
    ]


@dataclass(frozen=True)
class _RowShape:
    """How one mapped class's new row becomes statement parameters (worked out once per class)."""

    table: Table
    columns: tuple[tuple[str, str, Column[Any]], ...]
    """(parameter name, attribute key, column) for every inserted column."""

    @classmethod
    def of(cls, model: type[Base], prefix: str) -> _RowShape:
        mapper = inspect(model)
        table: Table = model.__table__  # type: ignore[assignment]
        return cls(
            table,
            tuple(
                (f"{prefix}_{column.name}", mapper.get_property_by_column(column).key, column)
                for column in _inserted_columns(table)
            ),
        )

    def params(self, row: Base) -> dict[str, Any]:
        values = row.__dict__
        params = {}
        for name, key, column in self.columns:
            if key in values:
                params[name] = values[key]
            elif column.default is None:
                params[name] = None
            else:
                default = column.default
                params[name] = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
        return params

    def insert_from_reserved(self, cte: str) -> tuple[str, list[BindParameter[Any]]]:
        names = ", ".join(f'"{c.name}"' for _, _, c in self.columns)
        values = ", ".join(f":{name}" for name, _, _ in self.columns)
        sql = (
            f'{cte} AS (INSERT INTO "{self.table.name}" ({names}) SELECT {values} FROM reserved RETURNING 1)'
        )
        return sql, _typed(**{name: column for name, _, column in self.columns})


IDEMPOTENCY = IdempotencyRecord.__table__
_EVENTS = DomainEvent.__table__
_STAFF = StaffUser.__table__


def _typed(**columns: Column[Any]) -> list[BindParameter[Any]]:
    """A parameter per name, typed like the column it fills."""
    return [bindparam(name, type_=column.type) for name, column in columns.items()]


def _build(models: tuple[type[Base], ...]) -> tuple[PreparedStatement, tuple[_RowShape, ...]]:
    shapes = tuple(_RowShape.of(model, f"r{i}") for i, model in enumerate(models))
    parts = [
        "person AS (SELECT lock_person_for_intake(:person_practice_id, :person_phone_index,"
        " :person_email_index, :person_lock_keys, :person_open_lead_ids) AS as_expected)",
        "reserved AS (INSERT INTO idempotency_records (scope, key, request_sha256, status_code, response,"
        " created_at) SELECT :scope, :key, :request_sha256, :status_code, :response, :at"
        " FROM person WHERE person.as_expected ON CONFLICT DO NOTHING RETURNING 1)",
        "household AS (SELECT 1 FROM leads, reserved WHERE leads.id = :household_lead_id"
        " FOR KEY SHARE OF leads)",
    ]
    idempotency = IDEMPOTENCY.c
    binds = _typed(
        scope=idempotency.scope,
        key=idempotency.key,
        request_sha256=idempotency.request_sha256,
        status_code=idempotency.status_code,
        response=idempotency.response,
        at=_EVENTS.c.created_at,
    )
    binds += [
        bindparam("person_practice_id", type_=PG_UUID),
        bindparam("person_phone_index", type_=LargeBinary),
        bindparam("person_email_index", type_=LargeBinary),
        bindparam("person_lock_keys", type_=ARRAY(Integer)),
        bindparam("person_open_lead_ids", type_=ARRAY(PG_UUID)),
        bindparam("household_lead_id", type_=PG_UUID),
    ]
    for i, shape in enumerate(shapes):
        sql, row_binds = shape.insert_from_reserved(f"row_{i}")
        parts.append(sql)
        binds.extend(row_binds)
    parts.append(
        "assigned AS (UPDATE staff_users SET last_assigned_at = :at"
        " WHERE id = :staff_id AND EXISTS (SELECT 1 FROM reserved) RETURNING 1)"
    )
    binds.extend(_typed(staff_id=_STAFF.c.id))
    counted = " + ".join(f"(SELECT count(*) FROM row_{i})" for i in range(len(shapes)))
    parts.append(
        f"written AS (SELECT {counted} + (SELECT count(*) FROM assigned)"
        " + (SELECT count(*) FROM household) AS n)"
    )
    parts.append(
        "event AS (INSERT INTO domain_events (kind, practice_id, location_id, lead_id, payload, created_at)"
        " SELECT :event_kind, :practice_id, :location_id, :lead_id, :event_payload, :at"
        " FROM written, LATERAL (SELECT pg_advisory_xact_lock(:lock_key) WHERE written.n > 0)"
        " AS in_commit_order"
        " RETURNING id)"
    )
    sql = (
        "WITH "
        + ",\n".join(parts)
        + "\nSELECT (SELECT id FROM event) AS id, (SELECT as_expected FROM person) AS person_as_expected"
    )
    events = _EVENTS.c
    binds.extend(
        _typed(
            event_kind=events.kind,
            practice_id=events.practice_id,
            location_id=events.location_id,
            lead_id=events.lead_id,
            event_payload=events.payload,
            lock_key=events.id,
        )
    )
    return PreparedStatement(text(sql).bindparams(*binds)), shapes


_STATEMENTS: dict[tuple[type[Base], ...], tuple[PreparedStatement, tuple[_RowShape, ...]]] = {}
"""One statement per sequence of row classes, built on first use and reused (compiled once)."""


def new_lead_write(
    rows: tuple[Base, ...],
    *,
    person: Mapping[str, Any],
    reservation: Mapping[str, Any],
    event: Mapping[str, Any],
) -> tuple[PreparedStatement, dict[str, Any]]:
    """The statement and parameters that write `rows` if, and only if, the delivery id is new and the
    person's open leads are still the expected ones.

    `person`: practice_id, phone_index, email_index, lock_keys, open_lead_ids (what the intake saw).
    `reservation`: scope, key, request_sha256, status_code, response, at, staff_id (or None).
    `event`: event_kind, practice_id, location_id, lead_id, event_payload.
    Running it returns one row: the event's id (NULL when nothing was written) and
    `person_as_expected`.
    """
    models = tuple(type(row) for row in rows)
    built = _STATEMENTS.get(models)
    if built is None:
        built = _STATEMENTS[models] = _build(models)
    statement, shapes = built
    params: dict[str, Any] = {
        **{f"person_{name}": value for name, value in person.items()},
        **reservation,
        **event,
        "lock_key": EVENT_ORDER_LOCK_KEY,
        "household_lead_id": getattr(rows[0], "household_lead_id", None),
    }
    for shape, row in zip(shapes, rows, strict=True):
        params.update(shape.params(row))
    return statement, params


@dataclass
class WriteProgress:
    committing: bool = False
    """A write that commits (or its COMMIT) was sent: a broken connection now leaves the outcome unknown."""


async def write_new_lead(
    session: AsyncSession,
    command: InquiryCommand,
    rows: tuple[Lead, Touchpoint, FunnelEvent, ConsentRecord | None, AuditRecord],
    *,
    person: dict[str, Any],
    staff: StaffCandidate | None,
    score: LeadScore | None,
    scoring_input: Any,
    progress: WriteProgress,
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
        replay = await previous_answer(session, command) if written["person_as_expected"] else None
        await session.rollback()
        return replay
    # A duplicate finds the first delivery's committed answer; should that row have gone meanwhile
    # (the first delivery's transaction failed after all), the write is simply tried again.
    for _ in range(WRITE_ATTEMPTS):
        progress.committing = True
        [written] = await statement.fetch(session, params, own_transaction=True)
        progress.committing = False
        if written["id"] is not None:
            return dataclasses.replace(created, event_ids=(int(written["id"]),))
        if not written["person_as_expected"]:
            return None
        replay = await previous_answer(session, command)
        # End that read's transaction: a retried write must again be a transaction of its own.
        await session.rollback()
        if replay is not None:
            return replay
    raise RuntimeError(f"delivery {command.idempotency_key!r} neither written nor answered")


WRITE_ATTEMPTS = 3
"""A reservation that vanishes between our conflict and our read is a rolled-back first delivery."""


def score_and_explain(
    domain: Domain, practice_id: uuid.UUID, scoring_input: Any
) -> tuple[LeadScore | None, list[str] | None]:
    score = domain.scorer.score(practice_id, scoring_input)
    reasons = domain.scorer.explain(practice_id, scoring_input, score.version) if score else None
    return score, reasons
