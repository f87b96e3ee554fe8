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
    r"\b(pain|painful|hurts?|hurting|aches?|aching|toothache|tooth ache|throbb(ing|s)?|killing me|"
    r"swollen|swelling|swelled|puff(y|ed up)|bleed(s|ing)?|infect(ion|ed)|abscess(ed)?|fever|"
    r"broke|broken|chipped|cracked|knocked (out|loose)|(fell|came) (out|off)|can'?t (eat|sleep|chew)|"
    r"asap|as soon as possible|emergency|urgent(ly)?|today|tonight|tomorrow|this (morning|afternoon|evening)|"
    r"right away|same[- ]day|squeeze me in|fit me in)\b"
)
"""Pain and its words, visible damage, and wanting to be seen today or tomorrow."""
_NOT_URGENT = re.compile(
    r"\b(no rush|not urgent|no hurry|not in (any )?(a )?(rush|hurry|pain)|no pain|nothing urgent|no issues|"
    r"whenever (you have|is convenient)|not an emergency|from years ago|years ago)\b"
)
_NO_INSURANCE = re.compile(
    r"\b(no (dental )?(insurance|coverage|plan)|(don'?t|do not|doesn'?t|dont) have (any )?(dental )?"
    r"(insurance|coverage|plan)|uninsured|not insured|self[- ]pay|cash (pay|patient)|pay(ing)? (in )?cash|"
    r"without (dental )?(insurance|coverage)|lost (my |our )?(job and (my |our )?)?(insurance|coverage)|"
    r"(insurance|coverage|plan) (ran out|ended|expired|lapsed)|not on (his|her|their|the) plan)\b"
)
"""Saying so outright; these win over any carrier named in the same message."""
_SELF_PAY = re.compile(r"\b(out of pocket|pay (for it )?(myself|ourselves)|just me paying)\b")
"""Paying themselves: no insurance, unless the message also names a plan (a copay, a deductible)."""
_INSURANCE = re.compile(
    r"\b(insurance|insured|in[- ]?network|out of network|covered|coverage|benefits|copay|co-pay|deductible|"
    r"ppo|hmo|dhmo|dmo|epo|dental plan|(my|his|her|our|their|the) plan|"
    r"delta( dental)?|cigna|aetna|metlife|met life|guardian|humana|united ?healthcare|uhc|bcbs|"
    r"blue (cross|shield)|anthem|sun ?life|united concordia|ameritas|principal (dental|financial)|"
    r"tricare|geha|careington|aflac|lincoln financial|dentaquest|mcna|liberty dental|"
    r"medicaid|medi-cal|medicare|chip (dental|insurance|plan|program|coverage))\b"
)
"""Plan words and the major US dental carriers, Medicaid and CHIP (written `CHIP`, see `_CHIP`)."""
_CHIP = re.compile(r"\bCHIP\b")
"""The children's health plan in capitals: "chip" in lower case is usually a chipped tooth."""
_PRICE = re.compile(
    r"\b(how much|price|prices|pricing|cost|costs|charge|rates|fees?|quote|estimate|ballpark|cheap|"
    r"cheapest|comparing|affordable|deal|discount|coupon|specials|new patient special|special offer|"
    r"price match|payment plans?|monthly payments?|payment options?|financ(e|ing)|installments?|"
    r"care ?credit|sunbit|membership plan|in-house plan|copay|co-pay|owe|pay(ing)? up front|"
    r"what does .{1,40} run)\b"
)
"""Asking what it costs or how to pay for it (financing, payment plans, membership plans)."""
_DOCTOR = re.compile(r"\b(dr\.?|doctor)\s+([a-z][a-z'\-]+)")
_SAME_PROVIDER = re.compile(
    r"\b(same (dentist|doctor|hygienist|provider|one)|(dentist|doctor) (my|our) \w+ sees|"
    r"(her|his) name (is|was)|stay with (her|him)|only want to see (her|him))\b"
)
"""Asking for a particular person without naming one of the practice's providers."""


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
    text = message.lower().replace("\u2019", "'")
    plan_named = _INSURANCE.search(text) is not None or _CHIP.search(message) is not None
    no_insurance = _NO_INSURANCE.search(text) is not None or (
        not plan_named and _SELF_PAY.search(text) is not None
    )
    insurance = not no_insurance and plan_named
    urgent = _URGENT.search(text) is not None and _NOT_URGENT.search(text) is None
    return MessageSignals(
        urgent=urgent,
        insurance=insurance,
        no_insurance=no_insurance,
        provider_request=_mentions_provider(text, provider_names),
        price_shopping=_PRICE.search(text) is not None,
    )


def _mentions_provider(text: str, provider_names: Sequence[str]) -> bool:
    """True when the message asks for a particular person: one of the practice's providers by surname
    (or "Dr." and a first name), "the same dentist as...", or any "Dr. X" when no providers are known."""
    if _SAME_PROVIDER.search(text) is not None:
        return True
    if not provider_names:
        return _DOCTOR.search(text) is not None
    return _provider_pattern(tuple(provider_names)).search(text) is not None


def provider_first_names(provider_names: Sequence[str]) -> frozenset[str]:
    """Lower-case first names of the practice's providers ("Dr. Maria Chen" -> "maria")."""
    names = set()
    for name in provider_names:
        words = [w for w in name.replace(",", " ").split() if w.rstrip(".").lower() not in ("dr", "doctor")]
        if len(words) >= 2:
            names.add(words[0].lower())
    return frozenset(names)


@lru_cache(maxsize=256)
def _provider_pattern(provider_names: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled alternation of a practice's provider surnames (cached: practices rarely change)."""
    surnames = sorted(provider_surnames(provider_names)) or ["(?!)"]
    first_names = sorted(provider_first_names(provider_names)) or ["(?!)"]
    return re.compile(
        r"\b(" + "|".join(re.escape(s) for s in surnames) + r")\b"
        r"|\b(dr\.?|doctor)\s+(" + "|".join(re.escape(f) for f in first_names) + r")\b"
    )
