"""The operator's status checks: is each part of the service doing its job, and what to do if not.

Each check is green (ok), amber (warning), red (critical) or grey (off: not configured), with a
sentence saying what it saw and, when not green, what to do. The thresholds below sit a few runs
past each part's own cadence (router/schedule.py), so one slow run never turns anything amber.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import text

from router.core.domain import Domain
from router.ops.marks import (
    AUDIT_SEAL,
    BACKUP,
    ESCALATION_SWEEP,
    PMS_SYNC,
    WORKER_HEARTBEAT,
    Mark,
    read_marks,
)

OK, WARNING, CRITICAL, OFF = "ok", "warning", "critical", "off"
STATE_WORDS = {OK: "OK", WARNING: "Needs attention", CRITICAL: "Down", OFF: "Not configured"}
_RANK = {OFF: 0, OK: 0, WARNING: 1, CRITICAL: 2}

REACH_TIMEOUT_SECONDS = 2.0
"""As /readyz: a server slower than this to answer a trivial query counts as unreachable."""
HEARTBEAT_LIMITS = (timedelta(seconds=45), timedelta(minutes=2))
"""The worker beats every 15 s: amber after three missed beats, red after eight (nothing runs)."""
SWEEP_LIMITS = (timedelta(seconds=90), timedelta(minutes=5))
"""The escalation sweep runs every 30 s; past 5 minutes (the SLA itself) an overdue lead may wait."""
QUEUE_LIMITS = (timedelta(minutes=1), timedelta(minutes=5))
"""A due job normally starts within a second; one waiting a minute means the worker is stuck or
busy, five minutes means escalations are late by a whole SLA."""
SEAL_LIMITS = (timedelta(minutes=1), timedelta(minutes=10))
"""The sealer runs every 5 s; an unsealed row older than a minute means it is not running, and ten
minutes of unsealed rows is ten minutes the chain does not protect."""
PMS_LIMITS = (timedelta(hours=2), timedelta(hours=24))
"""A sync runs at least hourly; a day without one means bookings, outcomes and labels are a day old."""
BACKUP_LIMITS = (timedelta(hours=26), timedelta(hours=50))
"""Backups run daily: amber when one was missed (with two hours' slack), red when two were."""


class RedisLike(Protocol):
    """The few Redis commands the checks use (redis.asyncio.Redis)."""

    def ping(self) -> Awaitable[Any]: ...
    def zcard(self, name: str) -> Awaitable[int]: ...
    def zcount(self, name: str, low: Any, high: Any) -> Awaitable[int]: ...
    def zrangebyscore(self, name: str, low: Any, high: Any, **kw: Any) -> Awaitable[list[Any]]: ...


@dataclass(frozen=True)
class Check:
    """One line of the status page."""

    key: str
    title: str
    state: str
    summary: str
    action: str = ""
    at: datetime | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def state_words(self) -> str:
        return STATE_WORDS[self.state]

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "state": self.state,
            "summary": self.summary,
            "action": self.action,
            "at": self.at.isoformat() if self.at else None,
            **({"facts": self.facts} if self.facts else {}),
        }


@dataclass(frozen=True)
class StatusReport:
    checked_at: datetime
    checks: list[Check]

    @property
    def state(self) -> str:
        """The worst state of any check (a part not configured does not count)."""
        worst = max((_RANK[c.state] for c in self.checks), default=0)
        return {0: OK, 1: WARNING, 2: CRITICAL}[worst]

    @property
    def state_words(self) -> str:
        return {
            OK: "Everything is running",
            WARNING: "Something needs attention",
            CRITICAL: "Something is down",
        }[self.state]

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.state,
            "checked_at": self.checked_at.isoformat(),
            "checks": [check.as_json() for check in self.checks],
        }


def ago(delta: timedelta) -> str:
    """A span in plain words: "12 seconds", "3 minutes", "5 hours", "2 days"."""
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def by_age(age: timedelta, limits: tuple[timedelta, timedelta]) -> str:
    warn, critical = limits
    return CRITICAL if age > critical else WARNING if age > warn else OK


async def _reachable(probe: Callable[[], Awaitable[Any]]) -> str | None:
    """None when the probe answers in time, else the reason in a few words."""
    try:
        await asyncio.wait_for(probe(), REACH_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"no answer within {REACH_TIMEOUT_SECONDS:g} s"
    except Exception as exc:  # any failure means unreachable; its kind is the reason shown
        return type(exc).__name__
    return None


async def check_postgresql(domain: Domain) -> Check:
    async def probe() -> None:
        async with domain.sessionmaker() as session:
            await session.execute(text("SELECT 1"))

    failure = await _reachable(probe)
    if failure is None:
        return Check("postgresql", "PostgreSQL", OK, "Reachable.")
    return Check(
        "postgresql",
        "PostgreSQL",
        CRITICAL,
        f"Unreachable ({failure}). Webhooks answer 503 and ask senders to retry; boards wait and resume.",
        "Check the database server is running and reachable from this host (DATABASE_URL); "
        "nothing is lost while it is down, senders retry.",
    )


async def check_redis(redis: RedisLike) -> Check:
    failure = await _reachable(redis.ping)
    if failure is None:
        return Check("redis", "Redis", OK, "Reachable.")
    return Check(
        "redis",
        "Redis",
        CRITICAL,
        f"Unreachable ({failure}). Leads are still stored; live board updates and escalations "
        "lag until Redis is back.",
        "Start Redis or check REDIS_URL; the worker reconnects by itself and catches up in one sweep.",
    )


async def check_queue(redis: RedisLike, queue: str) -> Check:
    """Jobs due now and still waiting, the oldest one's wait, and jobs deferred to later."""
    # arq scores jobs by Redis's wall clock in milliseconds (router/core/jobs.py), not the domain's.
    now_ms = int(time.time() * 1000)
    try:
        total = await redis.zcard(queue)
        due = await redis.zcount(queue, "-inf", now_ms)
        oldest = await redis.zrangebyscore(queue, "-inf", now_ms, start=0, num=1, withscores=True)
    except Exception as exc:  # Redis is down: its own check says so
        return Check("queue", "Job queue", CRITICAL, f"Cannot be read ({type(exc).__name__}).", "See Redis.")
    waited = timedelta(milliseconds=now_ms - int(oldest[0][1])) if oldest else timedelta(0)
    facts = {"due": due, "deferred": total - due, "oldest_due_seconds": round(waited.total_seconds(), 1)}
    summary = (
        f"{due} job{'s' if due != 1 else ''} due, the oldest waiting {ago(waited)}"
        if due
        else "No job waiting"
    )
    summary += f"; {total - due} scheduled for later (escalations, deferred texts)."
    state = by_age(waited, QUEUE_LIMITS)
    action = (
        "The worker is not keeping up or not running: see the worker's heartbeat; if it beats, "
        "a long job may hold it (its log says which), or start a second worker."
        if state != OK
        else ""
    )
    return Check("queue", "Job queue", state, summary, action, facts=facts)


@dataclass(frozen=True)
class _MarkRule:
    key: str
    title: str
    limits: tuple[timedelta, timedelta]
    never: tuple[str, str, str]
    """(state, summary, action) when the mark was never written."""
    stale_action: str


_RULES = (
    _MarkRule(
        WORKER_HEARTBEAT,
        "Worker",
        HEARTBEAT_LIMITS,
        (CRITICAL, "No worker has ever checked in.", "Start one: `leadrouter worker` (or `leadrouter run`)."),
        "Start the worker (`leadrouter worker`); under `leadrouter run` it restarts by itself, so read "
        "its log. If PostgreSQL or Redis is down, fix that first: the worker waits for both.",
    ),
    _MarkRule(
        ESCALATION_SWEEP,
        "Escalation sweep",
        SWEEP_LIMITS,
        (CRITICAL, "The sweep has never run.", "Start the worker: it sweeps every 30 seconds."),
        "Overdue leads may not be escalating. Check the worker (above) and its log.",
    ),
    _MarkRule(
        AUDIT_SEAL,
        "Audit log sealing",
        SEAL_LIMITS,
        (WARNING, "The sealer has never run.", "Start the worker: it seals every 5 seconds."),
        "Recent audit records are not yet chained. Check the worker; then run `leadrouter audit verify`.",
    ),
    _MarkRule(
        PMS_SYNC,
        "Practice-management sync",
        PMS_LIMITS,
        (OFF, "Not configured: no practice-management system is connected.", ""),
        "Bookings and outcomes are not coming in. Check the sync's log and the practice "
        "system's credentials.",
    ),
    _MarkRule(
        BACKUP,
        "Backup",
        BACKUP_LIMITS,
        (CRITICAL, "No backup has been recorded.", "Run `leadrouter backup`, and schedule it daily."),
        "Run `leadrouter backup` now and check the daily schedule that should run it.",
    ),
)


def _from_mark(rule: _MarkRule, mark: Mark | None, now: datetime) -> Check:
    if mark is None:
        state, summary, action = rule.never
        return Check(rule.key, rule.title, state, summary, action)
    age = now - mark.at
    state = by_age(age, rule.limits)
    what = "beat" if rule.key == WORKER_HEARTBEAT else "run"
    summary = f"Last {what} {ago(age)} ago{_mark_words(rule.key, mark)}."
    return Check(
        rule.key, rule.title, state, summary, rule.stale_action if state != OK else "", mark.at, mark.detail
    )


def _mark_words(key: str, mark: Mark) -> str:
    """What a run reported, in words (", on web-1, process 812")."""
    detail = mark.detail
    if key == WORKER_HEARTBEAT and detail.get("host"):
        return f", on {detail['host']}, process {detail.get('pid')}"
    if key == BACKUP and detail.get("file"):
        size = detail.get("bytes", 0) / 1_000_000
        leads, seconds = detail.get("leads", 0), detail.get("seconds", 0)
        return f": {detail['file']}, {size:.1f} MB, {leads:,} leads, in {seconds:.0f} s"
    if key == ESCALATION_SWEEP and "escalated" in detail:
        return f", {detail['escalated']} escalated"
    return ""


async def _unsealed(domain: Domain) -> tuple[int, datetime | None]:
    async with domain.sessionmaker() as session:
        row = (
            await session.execute(
                text("SELECT count(*), min(occurred_at) FROM audit_log WHERE chain_seq IS NULL")
            )
        ).one()
    return int(row[0]), row[1]


async def check_marks(domain: Domain, now: datetime) -> list[Check]:
    """The runs' checks from their marks; the sealer's also from the oldest record it has not sealed."""
    async with domain.sessionmaker() as session:
        marks = await read_marks(session)
    checks = [_from_mark(rule, marks.get(rule.key), now) for rule in _RULES]
    count, oldest = await _unsealed(domain)
    if oldest is not None and by_age(now - oldest, SEAL_LIMITS) != OK:
        seal = next(c for c in checks if c.key == AUDIT_SEAL)
        state = max(seal.state, by_age(now - oldest, SEAL_LIMITS), key=_RANK.__getitem__)
        checks[checks.index(seal)] = Check(
            AUDIT_SEAL,
            seal.title,
            state,
            f"{count} record{'s' if count != 1 else ''} waiting to be sealed, "
            f"the oldest for {ago(now - oldest)}.",
            _RULES[2].stale_action,
            seal.at,
            {"unsealed": count},
        )
    return checks


def _unknown(rule: _MarkRule) -> Check:
    return Check(
        rule.key, rule.title, CRITICAL, "Unknown while PostgreSQL is unreachable.", "See PostgreSQL."
    )


async def build_report(domain: Domain, redis: RedisLike) -> StatusReport:
    """Every check, PostgreSQL and Redis first; the runs' checks read PostgreSQL when it answers."""
    now = domain.clock.now()
    database, cache = await asyncio.gather(check_postgresql(domain), check_redis(redis))
    checks = [database, cache]
    if database.state == OK:
        try:
            runs = await asyncio.wait_for(check_marks(domain, now), REACH_TIMEOUT_SECONDS)
        except Exception:  # PostgreSQL went away between the two queries: say so, as when it is down
            runs = [_unknown(rule) for rule in _RULES]
    else:
        runs = [_unknown(rule) for rule in _RULES]
    if cache.state == OK:
        queue = await check_queue(redis, domain.settings.redis.queue_name)
    else:
        queue = Check("queue", "Job queue", CRITICAL, "Unknown while Redis is unreachable.", "See Redis.")
    checks += [*runs[:2], queue, *runs[2:]]
    return StatusReport(now, checks)
