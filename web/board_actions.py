"""The board's buttons and forms: each handler parses the form, calls one domain action, answers 204.

The result reaches the page over the websocket like everyone else's view of it, so the board that
acted and the boards that watch show the same thing. A lead's "more" panel (contact made, close,
reassign) is fetched when it is opened rather than pushed with every row.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from router.appointments.booking import booking_from_form
from router.appointments.pms_booking import free_slot_choices
from router.board import presence
from router.board.card import load_card_contact
from router.board.desk import save_board_view
from router.board.snapshot import load_lead_choices
from router.core import errors
from router.core.domain import Domain
from router.leads import actions
from router.leads.desk_entry import add_lead_by_hand
from router.nurture.call_tasks import complete_call_task
from router.privacy.auth import SignedIn
from web.forms import Form
from web.sessions import actor_of, provide_signed_in

LEAD_FIELDS = ("first_name", "last_name", "phone", "email", "treatment_interest", "message", "referred_by")


def _uuid(value: str | None, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value or "")
    except ValueError as exc:
        raise errors.InvalidChoice(f"{what} is missing or malformed.") from exc


class BoardActions(Controller):
    """Claim, release, log attempts and contacts, close, reassign, add by hand, set availability."""

    path = "/board"
    include_in_schema = False
    dependencies = {"signed_in": Provide(provide_signed_in)}

    @get("/leads/{lead_id:uuid}/more")
    async def more(
        self,
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
    ) -> Template:
        """A lead's "more" panel (contact made, close, and for managers reassign), loaded on opening."""
        async with domain.sessionmaker() as session:
            choices = await load_lead_choices(session, signed_in.viewer, lead_id)
        if choices is None:
            raise errors.LeadNotFound("That lead is not on your board.")
        slots = await free_slot_choices(domain, choices.location_id)
        return Template("board_lead_more.html", context={"choices": choices, "slots": slots})

    @get("/leads/{lead_id:uuid}/contact")
    async def contact_side(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
    ) -> Template:
        """A card's phone, email, message, Call and Text, read by the board showing it (audited hourly)."""
        contact = await load_card_contact(
            domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in)
        )
        if contact is None:
            raise errors.LeadNotFound("That lead is not on your board.")
        return Template("board_lead_contact.html", context={"contact": contact})

    @post("/leads/{lead_id:uuid}/claim", status_code=204)
    async def claim(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
    ) -> None:
        await actions.claim_lead(domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in))

    @post("/leads/{lead_id:uuid}/release", status_code=204)
    async def release(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
    ) -> None:
        await actions.release_lead(domain, signed_in.viewer, lead_id, actor=actor_of(request, signed_in))

    @post("/calls/{task_id:uuid}/done", status_code=204)
    async def follow_up_call_done(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        task_id: FromPath[uuid.UUID],
    ) -> None:
        """A follow-up call a sequence asked for was made: the card drops it on every board."""
        await complete_call_task(domain, signed_in.viewer, task_id, actor=actor_of(request, signed_in))

    @post("/leads/{lead_id:uuid}/attempt", status_code=204)
    async def attempt(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
        data: Form,
    ) -> None:
        await actions.log_contact_attempt(
            domain,
            signed_in.viewer,
            lead_id,
            outcome=data.get("outcome", ""),
            actor=actor_of(request, signed_in),
        )

    @post("/leads/{lead_id:uuid}/contact", status_code=204)
    async def contact(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
        data: Form,
    ) -> None:
        await actions.log_contact_made(
            domain,
            signed_in.viewer,
            lead_id,
            channel=data.get("channel", ""),
            note=data.get("note"),
            actor=actor_of(request, signed_in),
        )

    @post("/leads/{lead_id:uuid}/close", status_code=204)
    async def close(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
        data: Form,
    ) -> None:
        reason = data.get("reason", "")
        await actions.close_lead(
            domain,
            signed_in.viewer,
            lead_id,
            reason=reason,
            actor=actor_of(request, signed_in),
            booking=booking_from_form(data) if reason == "appointment_booked" else None,
        )

    @post("/leads/{lead_id:uuid}/reassign", status_code=204)
    async def reassign(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        lead_id: FromPath[uuid.UUID],
        data: Form,
    ) -> None:
        await actions.reassign_lead(
            domain,
            signed_in.viewer,
            lead_id,
            to_user_id=_uuid(data.get("user_id"), "The person"),
            actor=actor_of(request, signed_in),
        )

    @post("/leads", status_code=201)
    async def add_by_hand(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        data: Form,
    ) -> dict[str, Any]:
        result = await add_lead_by_hand(
            domain,
            signed_in.viewer,
            kind=data.get("kind", ""),
            location_id=_uuid(data.get("location_id"), "The location"),
            fields={name: data.get(name) for name in LEAD_FIELDS},
            nonce=data.get("nonce", ""),
            actor=actor_of(request, signed_in),
        )
        return {"lead_id": result.body.get("lead_id"), "status": result.body.get("status")}

    @post("/view", status_code=204)
    async def view(
        self,
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        data: Form,
    ) -> None:
        """Remember the board's filter, office tab and compact rows for this person."""
        await save_board_view(
            domain,
            signed_in.viewer,
            chosen=data.get("filter", ""),
            location=data.get("location", ""),
            compact=data.get("compact", ""),
        )

    @post("/availability", status_code=204)
    async def availability(
        self,
        request: Request[Any, Any, Any],
        domain: NamedDependency[Domain],
        signed_in: NamedDependency[SignedIn],
        data: Form,
    ) -> None:
        await presence.set_availability(
            domain,
            signed_in.viewer,
            availability=data.get("availability", ""),
            actor=actor_of(request, signed_in),
        )
