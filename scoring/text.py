"""What a free-text message says: urgency, insurance (or its absence), a named provider, price shopping.

Plain regular expressions with negation handling, compiled once: a few microseconds per message,
which keeps serving fast, and the same words mean the same thing in training and serving.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

_URGENT = re.compile(
    r"\b(pain|painful|hurts?|hurting|killing me|swollen|swelling|bleeding|asap|as soon as possible|"
    r"emergency|urgent(ly)?|today|tonight|right away|broke|broken|chipped|cracked|fell off|abscess)\b"
)
_NOT_URGENT = re.compile(
    r"\b(no rush|not urgent|no hurry|not in (any )?pain|no pain|whenever (you have|is convenient)|"
    r"not an emergency)\b"
)
_NO_INSURANCE = re.compile(
    r"\b(no (dental )?insurance|(don'?t|do not|doesn'?t) have (dental )?(insurance|coverage)|uninsured|"
    r"self[- ]pay|out of pocket|paying cash|cash pay|without insurance|not insured)\b"
)
_INSURANCE = re.compile(
    r"\b(insurance|insured|in[- ]network|covered|coverage|benefits|ppo|hmo|delta dental|cigna|aetna|metlife|"
    r"guardian|humana|united ?healthcare|bcbs|blue cross)\b"
)
_PRICE = re.compile(
    r"\b(how much|price|prices|pricing|cost|costs|cheap|cheapest|quote|comparing|affordable|deal|discount)\b"
)
_DOCTOR = re.compile(r"\b(dr\.?|doctor)\s+([a-z][a-z'\-]+)")


@dataclass(frozen=True, slots=True)
class MessageSignals:
    """The signals a message carries (all False for an empty message)."""

    urgent: bool = False
    insurance: bool = False
    no_insurance: bool = False
    provider_request: bool = False
    price_shopping: bool = False


NO_SIGNALS = MessageSignals()


def provider_surnames(provider_names: Sequence[str]) -> frozenset[str]:
    """Lower-case surnames of the practice's providers ("Dr. Maria Chen" -> "chen")."""
    return frozenset(name.replace(",", " ").split()[-1].lower() for name in provider_names if name.split())


def read_message(message: str | None, provider_names: Sequence[str] = ()) -> MessageSignals:
    """Signals in one message; `provider_names` are the practice's providers a patient may ask for."""
    if not message:
        return NO_SIGNALS
    text = message.lower()
    no_insurance = _NO_INSURANCE.search(text) is not None
    insurance = not no_insurance and _INSURANCE.search(text) is not None
    urgent = _URGENT.search(text) is not None and _NOT_URGENT.search(text) is None
    return MessageSignals(
        urgent=urgent,
        insurance=insurance,
        no_insurance=no_insurance,
        provider_request=_mentions_provider(text, provider_names),
        price_shopping=_PRICE.search(text) is not None,
    )


def _mentions_provider(text: str, provider_names: Sequence[str]) -> bool:
    """True when the message names one of the practice's providers (or any "Dr. X" when none are known)."""
    if not provider_names:
        return _DOCTOR.search(text) is not None
    return _provider_pattern(tuple(provider_names)).search(text) is not None


@lru_cache(maxsize=256)
def _provider_pattern(provider_names: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled alternation of a practice's provider surnames (cached: practices rarely change)."""
    surnames = sorted(provider_surnames(provider_names)) or ["(?!)"]
    return re.compile(r"\b(" + "|".join(re.escape(s) for s in surnames) + r")\b")
