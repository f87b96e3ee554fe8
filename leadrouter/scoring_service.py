"""The in-process lead scorer: the active model versions, loaded once, hot-swapped on promotion.

Each process (web, worker) loads the champions at start-up. A promotion commits a `model.promoted`
event and rings the events doorbell; on any ring this process re-reads the tiny list of active
versions (at most once per `REFRESH_MIN_SECONDS`) and, for a changed one, builds the new
`ModelRuntime` completely in a thread before installing it by reference, so a request scores with
the old model or the new one, never half of each. A poll every `models_check_seconds` covers a lost
doorbell. Until a model is promoted a lead is unscored: `score` returns None, never a made-up number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.core.db_errors import FailureLog
from router.core.ports import LeadScore
from router.scores import registry
from scoring.features import ScoringInput
from scoring.serving import POOLED_MODEL_KEY, ModelRuntime, ScorerRegistry

log = logging.getLogger("leadrouter.scoring")

REFRESH_MIN_SECONDS = 1.0
"""The doorbell rings for every lead; re-reading the active versions once a second is plenty for a
promotion (a monthly event) and keeps a busy process at one tiny query a second."""


def _key(practice_id: uuid.UUID | None) -> str:
    return POOLED_MODEL_KEY if practice_id is None else str(practice_id)


class RegistryScorer:
    """A `LeadScorer` over `ScorerRegistry`: the practice's own champion, else the pooled one."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: Redis | None = None,
        *,
        events_channel: str = "",
        check_seconds: float = 5.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._redis = redis
        self._events_channel = events_channel
        self._check_seconds = check_seconds
        self.registry = ScorerRegistry()
        self._pooled_versions: frozenset[str] = frozenset()  # a version belongs to one scope forever
        self._by_version: dict[str, ModelRuntime] = {}  # served now, plus the ones just replaced
        self._refresh_lock = asyncio.Lock()
        self._watcher: asyncio.Task[None] | None = None
        self._refreshes = FailureLog(log, "lead-score model refresh")
        """One line per database outage, not one traceback per poll."""

    def score(self, practice_id: uuid.UUID, scoring_input: ScoringInput) -> LeadScore | None:
        """Score with one consistent runtime (read once from the registry); None while no model is active."""
        runtime = self.registry.get(str(practice_id))
        if runtime is None:
            return None
        score = runtime.score(scoring_input)
        return LeadScore(
            value=score.value, version=score.version, pooled=score.version in self._pooled_versions
        )

    def explain(self, practice_id: uuid.UUID, scoring_input: ScoringInput, version: str) -> list[str] | None:
        """The top reasons by the version that scored the lead; None when this process no longer holds it."""
        runtime = self._by_version.get(version)
        return None if runtime is None else runtime.explain(scoring_input).top_reasons

    async def refresh(self) -> list[str]:
        """Install every newly promoted champion and drop retired ones; returns the versions installed."""
        async with self._refresh_lock:
            async with self._sessionmaker() as session:
                wanted = await registry.active_versions(session)
                served = self.registry.versions()
                changed = [p for p, v in wanted.items() if served.get(_key(p)) != v]
                rows = [await registry.get_version(session, wanted[p]) for p in changed]
            installed = []
            for practice_id, row in zip(changed, rows, strict=True):
                runtime = await asyncio.to_thread(registry.runtime_for, row)  # fully built first
                if practice_id is None or row.card.get("recalibrated_from"):
                    # a practice's recalibration of the pooled model is still provisional
                    self._pooled_versions |= {runtime.version}
                self._by_version = {**self._by_version, runtime.version: runtime}
                self.registry.install(_key(practice_id), runtime)  # one reference swap
                installed.append(runtime.version)
                log.info("serving lead-score model %s for %s", runtime.version, _key(practice_id))
            wanted_keys = {_key(p) for p in wanted}
            for key in set(served) - wanted_keys:
                self.registry.remove(key)
            current = set(self.registry.versions().values())
            previous = set(served.values())
            self._by_version = {v: r for v, r in self._by_version.items() if v in current | previous}
            return installed

    async def start(self) -> None:
        """Load the champions, then follow promotions (idempotent: one watcher per process)."""
        if self._watcher is not None:
            return
        try:
            await self.refresh()
        except Exception:  # a broken model must not stop the process: leads stay unscored meanwhile
            log.exception("could not load the lead-score models; leads stay unscored until the next check")
        self._watcher = asyncio.create_task(self._watch(), name="lead-score-model-watcher")

    async def stop(self) -> None:
        """Stop following promotions."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    async def _refresh_logged(self) -> None:
        try:
            await self.refresh()
        except Exception as exc:
            self._refreshes.failed(exc, "keeping the models already served")
        else:
            self._refreshes.worked()

    async def _watch(self) -> None:
        """Refresh on the events doorbell (rate-limited) and on a slow poll when Redis is silent or gone."""
        while True:
            try:
                if self._redis is None or not self._events_channel:
                    raise RedisError("no Redis doorbell configured")
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._events_channel)
                    last, rung = time.monotonic(), False
                    while True:
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=REFRESH_MIN_SECONDS
                        )
                        rung = rung or message is not None
                        elapsed = time.monotonic() - last
                        if (rung and elapsed >= REFRESH_MIN_SECONDS) or elapsed >= self._check_seconds:
                            rung, last = False, time.monotonic()
                            await self._refresh_logged()
            except (RedisError, OSError) as exc:
                log.debug("model doorbell unavailable (%s); polling every %s s", exc, self._check_seconds)
                await asyncio.sleep(self._check_seconds)
                await self._refresh_logged()
