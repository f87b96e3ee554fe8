"""The live demo: the practice simulator posting correctly signed raw inquiries to the real webhook."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

from connectors.forms.signature import sign_delivery
from connectors.twilio.config import TwilioConfig
from connectors.twilio.replay import replay_call
from leadrouter.demo import demo_form_key
from router.core.domain import Domain
from router.intake.form_sources import load_form_source
from simulator.inquiries import PracticeSimulator, SimulatedInquiry

log = logging.getLogger("leadrouter.demo")

CALLS_ANSWERED_SHARE = 0.6
"""Share of simulated calls the front desk answers; the rest roll to overflow, as at a busy practice."""
POST_TIMEOUT_SECONDS = 10.0
"""A webhook answers in milliseconds; ten seconds means the server is down or restarting."""


@dataclass
class PostingStats:
    """What the simulator posted and how the webhook answered."""

    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: int = 0


async def post_inquiry(
    client: httpx.AsyncClient, domain: Domain, inquiry: SimulatedInquiry, stats: PostingStats
) -> httpx.Response | None:
    """Sign and post one simulated form inquiry exactly as a form provider would."""
    if inquiry.form_source_key is None:
        return None
    key = demo_form_key(inquiry.practice_slug, inquiry.form_source_key)
    source = await load_form_source(domain, key, now=domain.clock.now())
    if source is None or not source.secrets:
        log.warning("form source %s is not configured; skipping", key)
        return None
    body = json.dumps(inquiry.payload).encode()
    headers = sign_delivery(
        body, secret=source.secrets[0], webhook_id=f"msg_{uuid.uuid4().hex}", at=domain.clock.now()
    )
    headers["content-type"] = "application/json"
    stats.sent += 1
    try:
        response = await client.post(f"/webhooks/forms/{source.key}", content=body, headers=headers)
    except httpx.HTTPError as exc:
        stats.failures += 1
        log.warning("posting a simulated inquiry failed: %s", exc)
        return None
    stats.statuses[response.status_code] += 1
    return response


async def post_call(
    client: httpx.AsyncClient,
    twilio: TwilioConfig,
    inquiry: SimulatedInquiry,
    stats: PostingStats,
    *,
    answered: bool,
) -> None:
    """Ring a tracking number as Twilio would: signed voice webhooks, answered or rolled to overflow."""
    if not inquiry.call_from or not inquiry.tracking_number:
        return
    stats.sent += 1
    try:
        replayed = await replay_call(
            twilio,
            base_url=str(client.base_url),
            caller=inquiry.call_from,
            to=inquiry.tracking_number,
            ring_outcome="completed" if answered else "no-answer",
            client=client,
        )
    except httpx.HTTPError as exc:
        stats.failures += 1
        log.warning("posting a simulated call failed: %s", exc)
        return
    stats.statuses[replayed.steps[0][1]] += 1


async def run_live_demo(
    domain: Domain, *, base_url: str, per_minute: float, count: int | None = None, seed: int = 2026
) -> PostingStats:
    """Post inquiries at random (Poisson) intervals averaging `per_minute`, until `count` or cancelled."""
    simulator = PracticeSimulator(seed)
    rng = random.Random(seed)
    twilio = TwilioConfig.from_settings(domain.settings)
    if twilio is None:
        log.info("Twilio is not configured (LEADROUTER_TWILIO_*): simulated calls are skipped")
    stats = PostingStats()
    async with httpx.AsyncClient(base_url=base_url, timeout=POST_TIMEOUT_SECONDS) as client:
        while count is None or stats.sent < count:
            inquiry = simulator.next_inquiry(domain.clock.now())
            if inquiry.kind == "call":
                if twilio is None:
                    continue
                await post_call(client, twilio, inquiry, stats, answered=rng.random() < CALLS_ANSWERED_SHARE)
            else:
                await post_inquiry(client, domain, inquiry, stats)
            if count is None or stats.sent < count:
                await asyncio.sleep(rng.expovariate(per_minute / 60.0))
    return stats
