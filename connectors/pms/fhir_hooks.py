"""Subscriptions on the local FHIR server: its CapabilityStatement, and R4 rest-hook notifications.

When `offered`, the statement lists Subscription (create), a created Subscription becomes active,
and every later change to a resource its criteria names (`Appointment?`) is followed by an empty
POST to the channel's endpoint with the channel's headers, as R4 rest-hook servers notify with no
payload. Notifications go out on the event loop; `settle()` waits for them (tests), `sent` records
each endpoint's answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp

NOTIFY_TIMEOUT_SECONDS = 5
"""A subscriber that does not answer within this is recorded as failed; the server does not retry."""
SERVED = ("Patient", "Appointment", "Slot", "Schedule", "Practitioner", "Location")


@dataclass
class RestHooks:
    """Whether subscriptions are offered, and the notifications posted so far."""

    offered: bool = False
    sent: list[tuple[str, int | str]] = field(default_factory=list)
    """(endpoint, HTTP status answered or the error's name), in the order they finished."""
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def capability_statement(self) -> dict[str, Any]:
        kinds = [*SERVED, "Subscription"] if self.offered else list(SERVED)
        return {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-01-01",
            "kind": "instance",
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "resource": [
                        {
                            "type": kind,
                            "interaction": [{"code": c} for c in ("read", "search-type", "create")],
                        }
                        for kind in kinds
                    ],
                }
            ],
        }

    def notify(self, subscriptions: list[dict[str, Any]], kind: str) -> None:
        """Post to every active rest-hook subscription whose criteria names `kind`."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # changed outside an event loop (a seed script): nobody is listening yet
            return
        for subscription in subscriptions:
            channel = subscription.get("channel", {})
            criteria = subscription.get("criteria", "")
            if subscription.get("status") != "active" or channel.get("type") != "rest-hook":
                continue
            if criteria.split("?", 1)[0] != kind:
                continue
            headers = dict(h.split(": ", 1) for h in channel.get("header", []) if ": " in h)
            task = loop.create_task(self._post(channel["endpoint"], headers))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait until every notification posted so far has its answer."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _post(self, endpoint: str, headers: dict[str, str]) -> None:
        timeout = aiohttp.ClientTimeout(total=NOTIFY_TIMEOUT_SECONDS)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as client,
                client.post(endpoint, data=b"", headers=headers) as answer,
            ):
                self.sent.append((endpoint, answer.status))
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.sent.append((endpoint, type(exc).__name__))
