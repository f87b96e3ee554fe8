"""Editing sequences on the sequences screen: steps, branches, who enrols, on and off.

Every change to the steps saves a new version; leads already enrolled stay on the version they
started. Fields are chosen from lists (no field takes JSON); each refusal names its field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import ActionRefused, InvalidFields
from router.core.models import Location, NurtureSequence, NurtureSequenceVersion, NurtureTemplate
from router.nurture.behaviour import BEHAVIOURS
from router.nurture.templates import single_approver_note
from router.practices.alert_wording import STAFF_CHANNEL
from router.privacy import audit
from router.privacy.access import Viewer, require

WAIT_UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
ACTIONS = {"email": "Send an email", "sms": "Send a text", "call": "Staff call task"}
SOURCES = {
    "form": "Web form",
    "call": "Phone call",
    "sms": "Text",
    "walk_in": "Walk-in",
    "referral": "Referral",
}
MAX_STEPS = 12


@dataclass(frozen=True)
class SequenceScreen:
    sequence: NurtureSequence
    version: NurtureSequenceVersion
    templates: dict[str, list[tuple[str, str]]]
    """Channel to (key, name) of the practice's messages, for the step form's lists."""
    offices: list[tuple[str, str]]


async def _sequence(
    session: AsyncSession, viewer: Viewer, sequence_id: uuid.UUID, lock: bool = False
) -> NurtureSequence:
    sequence = await session.get(NurtureSequence, sequence_id, with_for_update=lock)
    if sequence is None or sequence.practice_id != viewer.practice_id:
        raise ActionRefused("No such sequence in your practice.")
    return sequence


async def lock_sequence(session: AsyncSession, viewer: Viewer, sequence_id: uuid.UUID) -> NurtureSequence:
    """The viewer's practice's sequence, locked for a change (refused when it is not theirs)."""
    return await _sequence(session, viewer, sequence_id, lock=True)


async def current_version(session: AsyncSession, sequence: NurtureSequence) -> NurtureSequenceVersion:
    version = await session.scalar(
        select(NurtureSequenceVersion).where(
            NurtureSequenceVersion.sequence_id == sequence.id,
            NurtureSequenceVersion.version == sequence.current_version,
        )
    )
    assert version is not None
    return version


async def load_screen(session: AsyncSession, viewer: Viewer, sequence_id: uuid.UUID) -> SequenceScreen:
    require(viewer, "nurture.manage")
    sequence = await _sequence(session, viewer, sequence_id)
    templates: dict[str, list[tuple[str, str]]] = {"email": [], "sms": []}
    rows = await session.execute(
        select(NurtureTemplate.key, NurtureTemplate.name, NurtureTemplate.channel)
        .where(
            NurtureTemplate.practice_id == sequence.practice_id,
            NurtureTemplate.language == "en",
            NurtureTemplate.channel != STAFF_CHANNEL,
        )
        .order_by(NurtureTemplate.name)
    )
    for key, name, channel in rows.all():
        templates.setdefault(channel, []).append((key, name))
    offices = (
        await session.execute(
            select(Location.id, Location.name)
            .where(Location.practice_id == sequence.practice_id)
            .order_by(Location.name)
        )
    ).all()
    return SequenceScreen(
        sequence, await current_version(session, sequence), templates, [(str(i), n) for i, n in offices]
    )


def _int(
    form: dict[str, Any], name: str, errors: dict[str, str], *, low: int, high: int, words: str
) -> int | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        errors[name] = f"{words} must be a whole number from {low} to {high}."
        return None
    return value


def parse_step(form: dict[str, Any], templates: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    """A new step from the form's lists, or InvalidFields."""
    errors: dict[str, str] = {}
    amount = _int(form, "wait_amount", errors, low=0, high=10_000, words="The wait")
    unit = str(form.get("wait_unit") or "")
    if unit not in WAIT_UNITS:
        errors["wait_unit"] = "Choose minutes, hours or days."
    action = str(form.get("action") or "")
    if action not in ACTIONS:
        errors["action"] = "Choose what the step does."
    step: dict[str, Any] = {"action": action}
    if action in ("email", "sms"):
        keys = {key for key, _ in templates.get(action, [])}
        template = str(form.get("template") or "")
        if template not in keys:
            errors["template"] = f"Choose the {'email' if action == 'email' else 'text'} to send."
        step["template"] = template
        variant = str(form.get("variant_template") or "")
        if variant and (variant not in keys or variant == template):
            errors["variant_template"] = "Variant B must be another message of the same kind, or none."
        if variant:
            step["variant_template"] = variant
    if errors:
        raise InvalidFields(errors)
    step["wait_minutes"] = (amount or 0) * WAIT_UNITS[unit]
    return step


async def new_version(
    session: AsyncSession,
    domain: Domain,
    viewer: Viewer,
    sequence: NurtureSequence,
    steps: list[dict[str, Any]],
) -> NurtureSequenceVersion:
    sequence.current_version += 1
    version = NurtureSequenceVersion(
        id=uuid.uuid4(),
        sequence_id=sequence.id,
        version=sequence.current_version,
        steps=steps,
        created_by_user_id=viewer.user_id,
        created_at=domain.clock.now(),
    )
    session.add(version)
    return version


async def change_steps(
    domain: Domain,
    viewer: Viewer,
    sequence_id: uuid.UUID,
    change: str,
    form: dict[str, Any],
    *,
    actor: audit.Actor,
) -> None:
    """add, remove or branch a step; saves the sequence's next version."""
    require(viewer, "nurture.manage")
    async with domain.sessionmaker() as session, session.begin():
        sequence = await _sequence(session, viewer, sequence_id, lock=True)
        screen = await load_screen(session, viewer, sequence_id)
        steps = [dict(s) for s in screen.version.steps]
        if change == "add":
            if len(steps) >= MAX_STEPS:
                raise InvalidFields({"action": f"A sequence has at most {MAX_STEPS} steps."})
            steps.append(parse_step(form, screen.templates))
        elif change == "remove":
            steps = _removed(steps, _step_number(form, steps))
        elif change == "branch":
            _branch(steps, form)
        else:
            raise ActionRefused("Unknown change.")
        await new_version(session, domain, viewer, sequence, steps)
        audit.record(
            session,
            actor=actor,
            action="nurture.sequence_edit",
            practice_id=sequence.practice_id,
            details={"sequence_id": str(sequence.id), "change": change, "version": sequence.current_version},
        )


def _step_number(form: dict[str, Any], steps: list[dict[str, Any]]) -> int:
    try:
        index = int(str(form.get("step") or "")) - 1
    except ValueError:
        index = -1
    if not 0 <= index < len(steps):
        raise InvalidFields({"step": "Choose one of the steps."})
    return index


def _removed(steps: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """The steps without one; branches past it move up, branches to it are dropped."""
    kept = steps[:index] + steps[index + 1 :]
    for step in kept:
        target = step.get("branch_to")
        if target is None:
            continue
        if target == index:
            step.pop("branch_to"), step.pop("branch_on", None)
        elif target > index:
            step["branch_to"] = target - 1
    return kept


def _branch(steps: list[dict[str, Any]], form: dict[str, Any]) -> None:
    index = _step_number(form, steps)
    behaviour = str(form.get("branch_on") or "")
    if not behaviour:
        steps[index].pop("branch_on", None), steps[index].pop("branch_to", None)
        return
    errors: dict[str, str] = {}
    if behaviour not in BEHAVIOURS:
        errors["branch_on"] = "Choose what the person did."
    try:
        target = int(str(form.get("branch_to") or "")) - 1
    except ValueError:
        target = -1
    if not index < target < len(steps):
        errors["branch_to"] = "Choose a later step to go to."
    if errors:
        raise InvalidFields(errors)
    steps[index]["branch_on"], steps[index]["branch_to"] = behaviour, target


async def save_rules(
    domain: Domain, viewer: Viewer, sequence_id: uuid.UUID, form: dict[str, Any], *, actor: audit.Actor
) -> None:
    """Who enrols: treatment, office, source, score band (empty means any)."""
    require(viewer, "nurture.manage")
    from router.nurture.rendering import TREATMENT_WORDS

    errors: dict[str, str] = {}
    treatment = str(form.get("treatment") or "") or None
    if treatment and treatment not in TREATMENT_WORDS:
        errors["treatment"] = "Choose a treatment, or any."
    source = str(form.get("source_kind") or "") or None
    if source and source not in SOURCES:
        errors["source_kind"] = "Choose a source, or any."
    low = _int(form, "min_score", errors, low=0, high=100, words="The lowest score")
    high = _int(form, "max_score", errors, low=0, high=100, words="The highest score")
    if low is not None and high is not None and low > high and "max_score" not in errors:
        errors["max_score"] = "The highest score must be at least the lowest."
    async with domain.sessionmaker() as session, session.begin():
        sequence = await _sequence(session, viewer, sequence_id, lock=True)
        office = str(form.get("location_id") or "") or None
        offices = {
            str(i)
            for i in await session.scalars(
                select(Location.id).where(Location.practice_id == sequence.practice_id)
            )
        }
        if office and office not in offices:
            errors["location_id"] = "Choose one of your offices, or any."
        if errors:
            raise InvalidFields(errors)
        sequence.treatment, sequence.source_kind = treatment, source
        sequence.min_score, sequence.max_score = low, high
        sequence.location_id = uuid.UUID(office) if office else None
        audit.record(
            session,
            actor=actor,
            action="nurture.sequence_rules",
            practice_id=sequence.practice_id,
            details={"sequence_id": str(sequence.id)},
        )


async def set_active(
    domain: Domain, viewer: Viewer, sequence_id: uuid.UUID, on: bool, *, actor: audit.Actor
) -> None:
    """Turn a sequence on (new leads enrol) or off (enrolled leads carry on to the end)."""
    require(viewer, "nurture.manage")
    async with domain.sessionmaker() as session, session.begin():
        sequence = await _sequence(session, viewer, sequence_id, lock=True)
        if on:
            note = await single_approver_note(session, sequence.practice_id)
            if note:
                raise ActionRefused(note)
            if not (await current_version(session, sequence)).steps:
                raise ActionRefused("Add a step before turning the sequence on.")
        sequence.active = on
        audit.record(
            session,
            actor=actor,
            action="nurture.sequence_on" if on else "nurture.sequence_off",
            practice_id=sequence.practice_id,
            details={"sequence_id": str(sequence.id)},
        )


async def create_sequence(
    domain: Domain, viewer: Viewer, form: dict[str, Any], *, actor: audit.Actor
) -> uuid.UUID:
    """A new, empty sequence (switched off) to build step by step."""
    require(viewer, "nurture.manage")
    name = str(form.get("name") or "").strip()
    if not name or len(name) > 200:
        raise InvalidFields({"name": "Give the sequence a name (at most 200 characters)."})
    assert viewer.practice_id is not None
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        sequence = NurtureSequence(
            id=uuid.uuid4(),
            practice_id=viewer.practice_id,
            name=name,
            active=False,
            current_version=1,
            created_at=now,
        )
        session.add(sequence)
        await session.flush([sequence])
        session.add(
            NurtureSequenceVersion(
                id=uuid.uuid4(),
                sequence_id=sequence.id,
                version=1,
                steps=[],
                created_by_user_id=viewer.user_id,
                created_at=now,
            )
        )
        audit.record(
            session,
            actor=actor,
            action="nurture.sequence_create",
            practice_id=viewer.practice_id,
            details={"sequence_id": str(sequence.id)},
        )
    return sequence.id
