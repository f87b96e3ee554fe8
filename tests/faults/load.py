"""Signed inquiries at a steady rate, every answer recorded; a fault struck while requests are in
flight; and the retries a form provider would make afterwards, with the same webhook ids."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.factories import inquiry, signed

_people = itertools.count(1)
RETRY_SECONDS = 60.0
"""How long the retries keep trying a delivery after the fault (a restart is seconds)."""


@dataclass
class Delivery:
    webhook_id: str
    body: dict[str, Any]
    started: float = 0.0
    finished: float = 0.0
    status: int | None = None
    """None: no answer (connection refused or reset)."""
    lead_id: str | None = None
    first_status: int | None = -1
    """The answer to the first attempt (-1 until it came): the table counts these."""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def person() -> dict[str, Any]:
    """An inquiry from somebody not seen before (a phone and email of their own)."""
    n = next(_people)
    return inquiry(
        first_name=f"Pat{n}",
        phone=f"+1512{2000000 + n:07d}",
        email=f"fault-{uuid.uuid4().hex[:10]}@example.com",
    )


@dataclass
class Strike:
    at: float
    done: float
    in_flight: int
    """Requests already sent and not yet answered when the fault struck."""


@dataclass
class Load:
    """Drives inquiries into the world's webhook and keeps every delivery."""

    webhook: str
    secret: str
    deliveries: list[Delivery] = field(default_factory=list)
    in_flight: int = 0
    answers: Counter[int | None] = field(default_factory=Counter)
    """Every answer, retries included (None: no answer at all)."""
    unavailable_without_retry_after: int = 0
    """503 answers that did not say when to come back (the contract: every one does)."""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def post(self, http: httpx.AsyncClient, delivery: Delivery) -> None:
        raw, headers = signed(delivery.body, self.secret, webhook_id=delivery.webhook_id)
        delivery.started, delivery.status, delivery.lead_id = time.monotonic(), None, None
        self.in_flight += 1
        try:
            answer = await http.post(self.webhook, content=raw, headers=headers)
            delivery.status = answer.status_code
            self.answers[answer.status_code] += 1
            if answer.status_code == 503 and not answer.headers.get("retry-after"):
                self.unavailable_without_retry_after += 1
            if delivery.ok:
                delivery.lead_id = answer.json().get("lead_id")
        except httpx.HTTPError:
            delivery.status = None
            self.answers[None] += 1
        finally:
            self.in_flight -= 1
            delivery.finished = time.monotonic()
            if delivery.first_status == -1:
                delivery.first_status = delivery.status

    async def run(self, http: httpx.AsyncClient, *, rate: float, seconds: float) -> None:
        """Send `rate` new inquiries a second for `seconds`, each without waiting for the others."""
        start = time.monotonic()
        for n in itertools.count():
            at = start + n / rate
            if at - start >= seconds:
                break
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            delivery = Delivery(f"msg_{uuid.uuid4().hex}", person())
            self.deliveries.append(delivery)
            self._tasks.append(asyncio.create_task(self.post(http, delivery)))
        await asyncio.gather(*self._tasks)

    async def strike(self, fault: Callable[[], Any], *, after: float) -> Strike:
        """After `after` seconds, as soon as a request is in flight, run `fault` (blocking, in a thread)."""
        await asyncio.sleep(after)
        deadline = time.monotonic() + 5
        while self.in_flight == 0 and time.monotonic() < deadline:  # noqa: ASYNC110 (a counter)
            await asyncio.sleep(0.001)
        at = time.monotonic()
        if asyncio.iscoroutinefunction(fault):
            await fault()
        else:
            await asyncio.to_thread(fault)
        done = time.monotonic()
        in_flight = sum(1 for d in self.deliveries if d.started <= at <= (d.finished or done))
        return Strike(at, done, in_flight)

    async def resend_failures(self, http: httpx.AsyncClient) -> int:
        """Send every delivery not answered 2xx again (same webhook id and body) until it is; how many."""
        failed = [d for d in self.deliveries if not d.ok]
        deadline = time.monotonic() + RETRY_SECONDS
        for delivery in failed:
            while True:
                await self.post(http, delivery)
                if delivery.ok or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            assert delivery.ok, f"a retry of {delivery.webhook_id} still answers {delivery.status}"
        return len(failed)

    def recovered_after(self, strike: Strike) -> float | None:
        """Seconds from the strike to the first 2xx of a request sent after it."""
        later = [d.finished for d in self.deliveries if d.ok and d.started >= strike.at]
        return min(later) - strike.at if later else None


def server_errors(answers: Counter[int | None]) -> list[str]:
    """5xx answers other than 503: an outage must say 503 with Retry-After, never 500."""
    wrong = {
        status: n for status, n in answers.items() if status is not None and status >= 500 and status != 503
    }
    return [f"{n} answers were {status}, not 503" for status, n in sorted(wrong.items())]


def peak_concurrency(deliveries: list[Delivery]) -> int:
    """The most requests that were in flight at one moment (first attempts)."""
    edges = sorted([(d.started, 1) for d in deliveries] + [(d.finished, -1) for d in deliveries])
    peak = current = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak
