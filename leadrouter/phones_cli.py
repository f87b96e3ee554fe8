"""`leadrouter tracking-number ...` and `leadrouter phones ...`: configure and replay phone calls."""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

import click
from rich.console import Console

from connectors.twilio.replay import RING_OUTCOMES
from leadrouter.commands import with_domain
from scoring.channels import CHANNELS

console = Console()
T = TypeVar("T")


@click.group("tracking-number")
def tracking_number_group() -> None:
    """Call-tracking numbers: each maps to a location and a marketing channel/campaign."""


@tracking_number_group.command("add")
@click.option("--practice", "practice_slug", required=True, help="Practice slug, e.g. bright-smile.")
@click.option(
    "--location", "location_slug", required=True, help="Location slug the number rings, e.g. downtown."
)
@click.option("--number", "phone", required=True, help="The Twilio number in E.164, e.g. +15125550101.")
@click.option(
    "--channel",
    type=click.Choice(CHANNELS),
    required=True,
    help="Marketing channel the number is printed on.",
)
@click.option("--campaign", default=None, help="Campaign name (stored on every call's touchpoint).")
def add_tracking_number(
    practice_slug: str, location_slug: str, phone: str, channel: str, campaign: str | None
) -> None:
    """Add a tracking number; then point its Twilio voice and SMS webhooks at us (docs/phones.md)."""
    from router.phones.numbers import configure_tracking_number

    try:
        number = with_domain(
            lambda domain: configure_tracking_number(
                domain,
                practice_slug=practice_slug,
                location_slug=location_slug,
                phone=phone,
                channel=channel,
                campaign=campaign,
            )
        )
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(f"[green]{number.phone_e164}[/] rings {practice_slug}/{location_slug} as {channel}")


@tracking_number_group.command("list")
@click.option("--practice", "practice_slug", default=None, help="Only this practice.")
def list_tracking_numbers(practice_slug: str | None) -> None:
    """List tracking numbers."""
    from router.phones.numbers import list_tracking_numbers as listing

    for number, practice, location in with_domain(lambda domain: listing(domain, practice_slug)):
        console.print(
            f"{number.phone_e164}  {practice}/{location}  {number.channel}  {number.campaign or ''}"
        )


@click.group("phones")
def phones_group() -> None:
    """Phone settings of a practice, and replaying signed Twilio webhooks against a running app."""


@phones_group.command("settings")
@click.option("--practice", "practice_slug", required=True)
@click.option("--practice-number", default=None, help="The Twilio number texts and click-to-call show.")
@click.option("--overflow-mode", type=click.Choice(["number", "queue"]), default=None)
@click.option(
    "--records-calls/--no-records-calls", default=None, help="Record calls (plays the consent notice)."
)
@click.option("--consent-notice", default=None, help="What callers hear before a recorded call.")
@click.option("--text-back/--no-text-back", default=None, help="Text new callers nobody answered.")
@click.option(
    "--ring-seconds", type=int, default=None, help="How long each phone rings before the next step."
)
def phone_settings(practice_slug: str, **options: Any) -> None:
    """Change a practice's phone settings (only the options given)."""
    from router.phones.numbers import configure_phone_settings

    names = {"text_back": "missed_call_text_back", "ring_seconds": "ring_timeout_seconds"}
    changes = {names.get(k, k): v for k, v in options.items() if v is not None}
    try:
        row = with_domain(lambda domain: configure_phone_settings(domain, practice_slug, **changes))
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    number = row.practice_number or "(first tracking number)"
    recording = "on" if row.records_calls else "off"
    text_back = "on" if row.missed_call_text_back else "off"
    console.print(
        f"{practice_slug}: number {number}, overflow {row.overflow_mode}, recording {recording}, "
        f"text-back {text_back}"
    )


@phones_group.command("replay-call")
@click.option("--to", "to", required=True, help="The tracking number called, e.g. +15125550101.")
@click.option("--from", "caller", required=True, help="The caller's number, e.g. +15125550199.")
@click.option(
    "--status",
    type=click.Choice(RING_OUTCOMES),
    default=None,
    help="Answer every ringing phone this way until the call ends (else only the first webhook).",
)
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="Where the app listens.")
@click.option(
    "--call-sid", default=None, help="Reuse a CallSid (replays a retry: the app must answer the same)."
)
def replay_call_command(to: str, caller: str, status: str | None, url: str, call_sid: str | None) -> None:
    """Post a signed Twilio voice webhook (signed over LEADROUTER_TWILIO_PUBLIC_URL) and print the TwiML."""
    from connectors.twilio.config import TwilioConfig
    from connectors.twilio.replay import replay_call
    from router.core.settings import Settings

    config = TwilioConfig.from_settings(Settings())
    if config is None:
        raise click.ClickException(
            "set LEADROUTER_TWILIO_ACCOUNT_SID and LEADROUTER_TWILIO_AUTH_TOKEN (as the app has)"
        )
    replayed = asyncio.run(
        replay_call(config, base_url=url, caller=caller, to=to, ring_outcome=status, call_sid=call_sid)
    )
    console.print(f"CallSid {replayed.call_sid}")
    for path, code, body in replayed.steps:
        console.print(f"[bold]POST {path}[/] -> {code}")
        if body:
            console.print(body, markup=False)
