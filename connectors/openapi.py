"""Problem answers of the connectors' endpoints, for their OpenAPI `responses`."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi import ResponseSpec


@dataclass(frozen=True)
class Problem:
    """RFC 9457 problem details; `errors` names each bad field of a 422."""

    status: int
    title: str
    detail: str
    errors: list[dict[str, str]] | None = None


def problems(**descriptions: str) -> dict[int, ResponseSpec]:
    """Problem answers by status code (`problems(s401="bad signature")`), for a route's `responses`."""
    return {
        int(code.removeprefix("s")): ResponseSpec(
            data_container=Problem,
            description=text,
            media_type="application/problem+json",
            generate_examples=False,
        )
        for code, text in descriptions.items()
    }
