"""Replies into Chatwoot conversations through its REST API (httpx; there is no maintained Python client).

`POST {base}/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages` with the
`api_access_token` header and `{"content", "message_type": "outgoing", "private": false}`; the
answer is the message, whose `id` we keep (the webhook's echo of it then matches our row).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from router.core.ports import ChatAccount, ChatDeliveryError

TIMEOUT_SECONDS = 10.0
"""A reply waits for Chatwoot at most this long: the person who typed it is looking at the page."""


class ChatwootReplies:
    """The `ChatReplies` port over Chatwoot's API; the HTTP client is built per call from `transport`."""

    def __init__(self, transport: Callable[[], httpx.AsyncBaseTransport] | None = None) -> None:
        self.transport = transport

    async def send_reply(self, account: ChatAccount, *, conversation_id: str, content: str) -> str:
        url = (
            f"{account.api_base_url.rstrip('/')}/api/v1/accounts/{account.account_id}"
            f"/conversations/{conversation_id}/messages"
        )
        transport = self.transport() if self.transport else None
        try:
            async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT_SECONDS) as client:
                answer = await client.post(
                    url,
                    headers={"api_access_token": account.api_token},
                    json={"content": content, "message_type": "outgoing", "private": False},
                )
        except httpx.HTTPError as exc:
            raise ChatDeliveryError(f"Chatwoot could not be reached ({type(exc).__name__})") from exc
        if answer.status_code >= 300:
            raise ChatDeliveryError(f"Chatwoot refused the reply (HTTP {answer.status_code})")
        try:
            message_id = answer.json()["id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ChatDeliveryError("Chatwoot's answer did not name the message") from exc
        return str(message_id)
