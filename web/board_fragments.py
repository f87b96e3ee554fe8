"""The board's HTML fragments, rendered outside any request so the hub renders each event once for all."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from redis.asyncio import Redis

from realtime.announcer import RedisAnnouncer
from realtime.hub import BoardHub
from realtime.pushes import CommittedEvent, Push, Receiver
from router.board.presence import touch_presence
from router.board.push_audit import record_board_pushes
from router.board.snapshot import BoardLead, load_board_leads
from router.core.clock import Clock
from router.core.domain import Domain
from web.paths import TEMPLATES_DIR
from web.template_helpers import install_template_helpers

LEAD_EVENTS_WITH_SOUND = {"lead.created": "new", "lead.escalated": "escalation"}
"""Which events make the board play which alert."""


def _ascii(html: str) -> str:
    """The fragment with non-ASCII characters as character references (the browser shows the same).

    A pushed fragment is encoded to UTF-8 once per receiving board; an all-ASCII string encodes by a
    plain copy, where a single "·" or accented name makes every one of those encodings a conversion.
    """
    return html if html.isascii() else html.encode("ascii", "xmlcharrefreplace").decode("ascii")


def _waiting(lead: BoardLead) -> bool:
    """Open and nobody has reached the person yet: only such a lead sounds an alert (a walk-in typed
    in at the desk arrives already contacted, and rings nobody)."""
    return lead.is_open and lead.first_contact_at is None


def board_environment(clock: Clock | None = None) -> Environment:
    """The Jinja2 environment of the board's fragments (the page's engine loads the same files)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install_template_helpers(env, clock or Clock())
    return env


class BoardFragments:
    """Renders lead rows and the position marker that every pushed message ends with."""

    def __init__(self, domain: Domain) -> None:
        self._domain = domain
        env = board_environment(domain.clock)
        self._lead = env.get_template("board_lead.html")
        self._position = env.get_template("board_position.html")

    def lead(self, lead: BoardLead, *, oob: bool) -> str:
        """One lead's row; `oob` marks it for an out-of-band swap over the websocket."""
        return _ascii(self._lead.render(lead=lead, oob=oob))

    def position(
        self, *, event_id: int | None, kind: str, lead_id: uuid.UUID | None = None, **extra: Any
    ) -> str:
        return _ascii(self._position.render(event_id=event_id, kind=kind, lead_id=lead_id, extra=extra))

    def heartbeat(self, position: int) -> str:
        return self.position(event_id=position, kind="heartbeat")

    def reset(self, reason: str) -> str:
        return self.position(event_id=None, kind="reset", reason=reason)

    async def render(self, events: Sequence[CommittedEvent]) -> list[Push]:
        """One push per lead event, rendered from the lead's current state (one query for the batch)."""
        lead_ids = [event.lead_id for event in events if event.lead_id is not None]
        async with self._domain.sessionmaker() as session:
            leads = await load_board_leads(session, self._domain, lead_ids)
        rows: dict[uuid.UUID, str] = {}
        pushes = []
        for event in events:
            lead = leads.get(event.lead_id) if event.lead_id else None
            if lead is None:
                continue
            if lead.id not in rows:  # a closed lead moves to the board's "Recently closed" group
                rows[lead.id] = self.lead(lead, oob=True)
            marker = self.position(
                event_id=event.id,
                kind=event.kind,
                lead_id=lead.id,
                alert=LEAD_EVENTS_WITH_SOUND.get(event.kind, "") if _waiting(lead) else "",
            )
            pushes.append(
                Push(
                    event_id=event.id,
                    kind=event.kind,
                    html=rows[lead.id] + marker,
                    practice_id=lead.practice_id,
                    location_id=lead.location_id,
                    lead_id=lead.id,
                    overflow=lead.overflow,
                    referring_physician_id=lead.referring_physician_id,
                    referring_office_id=lead.referring_office_id,
                )
            )
        return pushes


def make_board_hub(domain: Domain, redis: Redis, **options: Any) -> BoardHub:
    """The process's hub, wired to the board's fragments, presence and the push audit."""

    async def presence(user_ids: set[uuid.UUID]) -> None:
        await touch_presence(domain, user_ids, now=domain.clock.now())

    async def delivered(deliveries: list[tuple[Push, list[Receiver]]]) -> None:
        await record_board_pushes(
            domain,
            [(push.event_id, push.practice_id, push.lead_id, receivers) for push, receivers in deliveries],
        )

    def configured(practice_ids: set[uuid.UUID]) -> None:
        for practice_id in practice_ids:
            domain.forget_practice(practice_id)

    return BoardHub(
        sessionmaker=domain.sessionmaker,
        redis=redis,
        channel=domain.settings.redis.events_channel,
        renderer=BoardFragments(domain),
        on_presence=presence,
        on_delivered=delivered,
        on_config_changed=configured,
        now=lambda: domain.clock.now(),
        announcer=domain.announcer if isinstance(domain.announcer, RedisAnnouncer) else None,
        **options,
    )
