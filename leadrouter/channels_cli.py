"""`leadrouter chat-source create`: connect a practice's Chatwoot inbox or a chat-transcript sender."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from leadrouter.commands import with_runtime

console = Console()


@click.group("chat-source")
def chat_source() -> None:
    """Chat widgets (Chatwoot) and chat-transcript senders that post conversations."""


@chat_source.command("create")
@click.argument("practice_slug")
@click.argument("key")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(["chatwoot", "transcript"]), default="chatwoot", show_default=True)
@click.option("--webhook-secret", default=None, help="Chatwoot: the secret its webhook settings show.")
@click.option("--url-secret", is_flag=True, help="Chatwoot without signatures: a secret in the webhook URL.")
@click.option("--api-url", default=None, help="Chatwoot: its address, for replies (https://chat.example).")
@click.option("--account-id", type=int, default=None, help="Chatwoot: the account's number, for replies.")
@click.option(
    "--api-token", default=None, help="Chatwoot: an agent bot's or agent's access token, for replies."
)
def chat_source_create(
    practice_slug: str,
    key: str,
    name: str,
    kind: str,
    webhook_secret: str | None,
    url_secret: bool,
    api_url: str | None,
    account_id: int | None,
    api_token: str | None,
) -> None:
    """Create a chat source; prints its webhook address and any generated secret once."""
    from sqlalchemy import select

    from router.chat.sources import create_chat_source
    from router.core.models import Practice

    if kind == "chatwoot" and not (webhook_secret or url_secret):
        raise click.ClickException(
            "a Chatwoot source needs --webhook-secret or --url-secret (else it refuses all)"
        )

    async def action(runtime: Any) -> Any:
        async with runtime.domain.sessionmaker() as session, session.begin():
            owner = await session.scalar(select(Practice).where(Practice.slug == practice_slug))
            if owner is None:
                raise click.ClickException(f"no practice {practice_slug!r}")
            return await create_chat_source(
                session,
                runtime.domain,
                practice_id=owner.id,
                key=key,
                kind=kind,
                name=name,
                signing_secret=webhook_secret,
                url_secret=url_secret,
                api_base_url=api_url,
                account_id=account_id,
                api_token=api_token,
            )

    made = with_runtime(action)
    base = "/webhooks/chatwoot" if kind == "chatwoot" else "/webhooks/chat"
    if made.url_secret:
        console.print(
            f"chat source {key}: POST {base}/{key}/{made.url_secret} (the URL is the secret; shown once)"
        )
    else:
        console.print(f"chat source {key}: POST {base}/{key}")
    if kind == "transcript":
        console.print(f"signing secret (shown once): [bold]{made.signing_secret}[/]")


COMMANDS = [chat_source]
