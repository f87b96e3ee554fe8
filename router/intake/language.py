"""The language a person wants their messages in, as a web form says it."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("en", "es")
"""The languages patient messages are written in (router/nurture picks the wording by this)."""


def message_language(value: Any) -> str | None:
    """`en` or `es`, also as a language tag a browser reports (`es-MX`, `en_US`); anything else is
    refused (ValueError, which the intake reports beside the field)."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    primary = text.replace("_", "-").split("-")[0].lower()
    if primary not in LANGUAGES:
        raise ValueError("must be en (English) or es (Spanish), or a tag of one of them such as es-MX")
    return primary
